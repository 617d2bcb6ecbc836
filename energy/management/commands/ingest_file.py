"""Back-fill readings from a CSV or JSON file through the same service as the API."""

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from config.errors import ShoeneError
from energy.ingest.parse import CONTENT_TYPES
from energy.ingest.services import batch_process, batch_receive
from energy.models import BatchFormat, BatchStatus

MEDIA_TYPES = {fmt: media for media, fmt in CONTENT_TYPES.items()}
EXTENSIONS = {"json": BatchFormat.JSON, "csv": BatchFormat.CSV, "xml": BatchFormat.GREENBUTTON}


class Command(BaseCommand):
    help = (
        "Ingest a CSV (meter,ts,value[,quality][,source_time]), JSON "
        '({"readings": [...]}) or Green Button (ESPI XML, --format greenbutton) file of '
        "readings. Large CSV files are split into batches of at most INGEST_MAX_ROWS rows; a "
        "Green Button file is one batch. Readings count as produced when the file was last "
        "modified (or at --source-time): a value stored from a later source is not replaced."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--format",
            choices=[f.value for f in BatchFormat],
            help="default: from the file name's extension",
        )
        parser.add_argument(
            "--client",
            default=None,
            help="username the batches are recorded for (default: the first superuser)",
        )
        parser.add_argument(
            "--batch-rows",
            type=int,
            default=None,
            help="rows per batch for CSV (default INGEST_MAX_ROWS)",
        )
        parser.add_argument(
            "--source-time",
            type=_aware_datetime,
            default=None,
            help=(
                "when the source produced the file, ISO 8601 with an offset (default: the "
                "file's modification time); rows with their own source_time keep it"
            ),
        )

    def handle(
        self,
        *args,
        path: Path,
        format: str | None,
        client: str | None,
        batch_rows: int | None,
        source_time: datetime | None,
        **options,
    ) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        if source_time is None:
            source_time = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        fmt = format or EXTENSIONS.get(path.suffix.lower().lstrip("."))
        if fmt is None:
            raise CommandError(
                f"{path}: cannot tell the format; pass --format csv, json or greenbutton."
            )
        user = self._client(client)
        rows_per_batch = batch_rows or settings.INGEST_MAX_ROWS
        chunks = list(_chunks(path, fmt, rows_per_batch))

        totals = {"accepted": 0, "duplicate": 0, "corrected": 0, "stale": 0, "rejected": 0}
        progress = tqdm(
            chunks, desc=f"Ingesting {path.name}", unit="batch", disable=options["verbosity"] == 0
        )
        for number, body in enumerate(progress, start=1):
            try:
                with transaction.atomic():
                    batch, _ = batch_receive(
                        client=user,
                        body=body,
                        content_type=MEDIA_TYPES.get(fmt, ""),
                        fmt=fmt,
                        source="file",
                        enqueue=False,
                        source_time=source_time,
                    )
            except ShoeneError as exc:
                raise CommandError(f"{path} (batch {number}): {exc.message}") from exc
            batch = batch_process(batch_id=batch.pk)
            if batch.status == BatchStatus.FAILED:
                raise CommandError(f"{path} (batch {number}): {batch.error}")
            totals["accepted"] += batch.accepted_count
            totals["duplicate"] += batch.duplicate_count
            totals["corrected"] += batch.corrected_count
            totals["stale"] += batch.stale_count
            totals["rejected"] += batch.rejected_count
            for note in batch.notes:
                progress.write(f"  note: {note}")
            for row in batch.rejected_rows[:5]:
                progress.write(f"  line {row['line']}: {row['reason']}: {row['message']}")
            progress.set_postfix(totals)
        self.stdout.write(
            f"{path}: {totals['accepted']} accepted, {totals['duplicate']} duplicate, "
            f"{totals['corrected']} corrected, {totals['stale']} stale, "
            f"{totals['rejected']} rejected "
            f"in {len(chunks)} batch(es)."
        )
        if totals["stale"]:
            self.stdout.write(
                "Stale rows changed values stored from a later source: kept as revisions, "
                "not applied."
            )
        if totals["rejected"]:
            self.stdout.write("Rejected rows with reasons: see the batches in the admin.")

    def _client(self, username: str | None):
        users = get_user_model().objects
        user = (
            users.filter(username=username)
            if username
            else users.filter(is_superuser=True).order_by("pk")
        ).first()
        if user is None:
            raise CommandError(
                f"No user {username!r}."
                if username
                else "No superuser to record the batches for; pass --client USERNAME."
            )
        return user


def _aware_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} needs a UTC offset, e.g. 2026-01-15T10:00:00+09:00"
        )
    return moment


def _chunks(path: Path, fmt: str, rows_per_batch: int):
    """The file as request-sized bodies: CSV split by lines under one header, JSON whole."""
    if fmt == BatchFormat.GREENBUTTON:
        yield path.read_bytes()  # one feed: its entries link to each other
        return
    if fmt == BatchFormat.JSON:
        raw = path.read_bytes()
        try:
            readings = json.loads(raw).get("readings")
        except (ValueError, AttributeError):
            yield raw  # let the service report exactly what is wrong
            return
        if not isinstance(readings, list):
            yield raw
            return
        for start in range(0, len(readings), rows_per_batch):
            yield json.dumps({"readings": readings[start : start + rows_per_batch]}).encode()
        return
    with path.open("rb") as handle:
        header = handle.readline()
        lines: list[bytes] = []
        for line in handle:
            lines.append(line)
            if len(lines) >= rows_per_batch:
                yield header + b"".join(lines)
                lines = []
        if lines or not header:
            yield header + b"".join(lines)
