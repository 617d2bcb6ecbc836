"""Whole months of readings to Parquet and back: ``readings_archive`` and ``readings_restore``.

A month is archived to ``readings-YYYY-MM.parquet`` (one row group per ``ROW_GROUP_ROWS``
rows, sorted by meter_id, ts) and an entry in ``manifest.json`` beside it: the row count, the
file's SHA-256, and a checksum of the rows' content that does not depend on the file's encoding
(``rows_checksum``). Its partition is dropped only once the file is written, fsynced, read back
and found to hold the same rows as the table.

The rows' checksum is order-independent: each row's MD5 over its binary fields (PostgreSQL's
send functions: big-endian int8 meter_id, timestamptz as int8 microseconds since 2000-01-01,
IEEE float8 value, a null flag and the source time, the quality in UTF-8), its two 64-bit halves
summed modulo 2**64. PostgreSQL computes it in SQL over the table; Python computes the same from
the Parquet file (``parquet_rows_checksum``), so equal checksums mean equal rows, bit for bit.

Archiving a month, under the session's partition-change lock (``ADVISORY_LOCK_KEY``):
1. one transaction holding the partition in SHARE mode (writers to that month wait; readers go
   on): its checksum, the file written, fsynced, renamed into place, read back and compared, the
   manifest rewritten (fsynced, renamed);
2. a short transaction: DETACH (an instant's ACCESS EXCLUSIVE on ``energy_reading``);
3. the detached table's checksum again (a write that came between 1 and 2 is not lost): equal,
   it is dropped; not, it is attached again and the month is reported as changed.
Nothing here is a PostgreSQL-only shortcut: SQLite has no partitions to archive.
"""

import hashlib
import json
import os
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

from config.errors import Conflict, NotFound, ShoeneError, ValidationFailed
from core.pgcopy import HEADER, TRAILER, Column, binary_copy_rows
from energy.partitions.services import (
    ADVISORY_LOCK_KEY,
    LOCK_TIMEOUT,
    PARENT,
    month_bounds,
    month_partition_name,
    partition_attach,
    partition_changes_lock,
    readings_partition_months,
    readings_partitioned,
)

MANIFEST = "manifest.json"
ROW_GROUP_ROWS = 131_072
COLUMNS = ["meter_id", "ts", "value", "quality", "source_time"]
SCHEMA = pa.schema(
    [
        pa.field("meter_id", pa.int64(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("quality", pa.string(), nullable=False),
        pa.field("source_time", pa.timestamp("us", tz="UTC"), nullable=True),
    ]
)
# PostgreSQL's timestamps count microseconds from 2000-01-01 UTC (timestamptz_send).
POSTGRES_EPOCH_US = 946_684_800_000_000
ROW_DIGEST_SQL = (
    "md5(int8send(meter_id) || timestamptz_send(ts) || float8send(value) || "
    "CASE WHEN source_time IS NULL THEN '\\x00'::bytea "
    "ELSE '\\x01'::bytea || timestamptz_send(source_time) END || convert_to(quality, 'UTF8'))"
)
ROWS_CHECKSUM_SQL = (
    "SELECT count(*), "
    "coalesce(sum(('x' || substr(digest, 1, 16))::bit(64)::bigint), 0), "
    "coalesce(sum(('x' || substr(digest, 17, 16))::bit(64)::bigint), 0) "
    f"FROM (SELECT {ROW_DIGEST_SQL} AS digest FROM {{table}}) AS rows"
)
MODULUS = 2**64


class ArchiveCorrupt(ShoeneError):
    """An archive file that is not what its manifest says, or rows that do not match it."""

    code = "archive_corrupt"


class NeedsPostgres(ShoeneError):
    code = "needs_postgresql"


@dataclass(frozen=True)
class RowsChecksum:
    rows: int
    checksum: str  # 32 hex digits: the two halves' sums modulo 2**64

    @classmethod
    def from_sums(cls, rows: int, first: int, second: int) -> "RowsChecksum":
        return cls(rows=rows, checksum=f"{first % MODULUS:016x}{second % MODULUS:016x}")


@dataclass(frozen=True)
class MonthArchive:
    """A manifest entry."""

    month: str  # YYYY-MM
    file: str
    rows: int
    sha256: str
    rows_checksum: str
    archived_at: str


def month_parse(text: str) -> date:
    """``YYYY-MM`` as the month's first day; ValidationFailed otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    try:
        return date(int(match[1]), int(match[2]), 1)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("%(text)s is not a month: write it as YYYY-MM, e.g. 2024-01.") % {"text": text}
        ) from None


def archive_file_name(month: date) -> str:
    return f"readings-{month:%Y-%m}.parquet"


def table_rows_checksum(cursor, table: str) -> RowsChecksum:
    cursor.execute(ROWS_CHECKSUM_SQL.format(table=table))
    rows, first, second = cursor.fetchone()
    return RowsChecksum.from_sums(rows, int(first), int(second))


def parquet_rows_checksum(path: Path) -> RowsChecksum:
    """The rows' checksum (as ``ROWS_CHECKSUM_SQL``) of an archive file, read batch by batch."""
    rows = first = second = 0
    fixed = struct.Struct(">qqd")
    stamp = struct.Struct(">q")
    for batch in pq.ParquetFile(path).iter_batches(batch_size=ROW_GROUP_ROWS):
        meters = batch.column("meter_id").to_numpy().tolist()
        stamps = (pc.cast(batch.column("ts"), pa.int64()).to_numpy() - POSTGRES_EPOCH_US).tolist()
        values = batch.column("value").to_numpy().tolist()
        qualities = batch.column("quality").to_pylist()
        sources = pc.subtract(pc.cast(batch.column("source_time"), pa.int64()), POSTGRES_EPOCH_US)
        for meter, ts, value, quality, source in zip(
            meters, stamps, values, qualities, sources.to_pylist(), strict=True
        ):
            tail = b"\x00" if source is None else b"\x01" + stamp.pack(source)
            digest = hashlib.md5(
                fixed.pack(meter, ts, value) + tail + quality.encode(), usedforsecurity=False
            ).digest()
            first += int.from_bytes(digest[:8], "big", signed=True)
            second += int.from_bytes(digest[8:], "big", signed=True)
        rows += batch.num_rows
    return RowsChecksum.from_sums(rows, first, second)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _file_replace(temporary: Path, final: Path) -> None:
    """Make ``temporary`` durable and move it to ``final`` (atomically, durably)."""
    with temporary.open("rb") as file:
        os.fsync(file.fileno())
    temporary.replace(final)
    _fsync_directory(final.parent)


def manifest_read(directory: Path) -> dict:
    path = directory / MANIFEST
    if not path.exists():
        return {"format": 1, "table": PARENT, "columns": COLUMNS, "months": {}}
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ArchiveCorrupt(
            _("%(path)s is not a readable manifest: %(error)s") % {"path": path, "error": exc}
        ) from None


def manifest_entry_write(directory: Path, entry: MonthArchive) -> None:
    manifest = manifest_read(directory)
    manifest["months"][entry.month] = asdict(entry)
    manifest["months"] = dict(sorted(manifest["months"].items()))
    temporary = directory / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2) + "\n")
    _file_replace(temporary, directory / MANIFEST)


def _postgres_required(using: str) -> None:
    if not readings_partitioned(using=using):
        raise NeedsPostgres(
            _(
                "Archiving and restoring readings needs PostgreSQL with the readings partitioned "
                "by month (migration energy 0023); this database has one plain readings table."
            )
        )


@contextmanager
def _partition_changes_session_lock(using: str) -> Iterator[None]:
    """No other partition change (beat's ensure, another archive or restore) meanwhile."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        try:
            yield
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def readings_months_to_archive(*, before: date, using: str = DEFAULT_DB_ALIAS) -> list[date]:
    """The months with a partition entirely before ``before``'s month."""
    _postgres_required(using)
    return [m for m in readings_partition_months(using=using) if m < before.replace(day=1)]


def _parquet_write(cursor_factory, *, table: str, path: Path) -> None:
    """The table's rows, sorted by meter and time, one row group per fetch."""
    query = (
        f"SELECT meter_id, (extract(epoch FROM ts) * 1000000)::int8, value, quality, "
        f"(extract(epoch FROM source_time) * 1000000)::int8 FROM {table} ORDER BY meter_id, ts"
    )
    with cursor_factory() as cursor, pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        cursor.itersize = ROW_GROUP_ROWS
        cursor.execute(query)
        while rows := cursor.fetchmany(ROW_GROUP_ROWS):
            meters, stamps, values, qualities, sources = zip(*rows, strict=True)
            batch = pa.record_batch(
                [
                    pa.array(meters, pa.int64()),
                    pa.array(stamps, pa.int64()).cast(SCHEMA.field("ts").type),
                    pa.array(values, pa.float64()),
                    pa.array(qualities, pa.string()),
                    pa.array(sources, pa.int64()).cast(SCHEMA.field("source_time").type),
                ],
                schema=SCHEMA,
            )
            writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)


def readings_month_archive(
    *, month: date, directory: Path, using: str = DEFAULT_DB_ALIAS
) -> MonthArchive:
    """Write one month's partition to Parquet, record it in the manifest, then detach and drop
    the partition (see the module's steps)."""
    _postgres_required(using)
    connection = connections[using]
    name = month_partition_name(month)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / archive_file_name(month)
    temporary = directory / f".{final.name}.tmp"
    with _partition_changes_session_lock(using):
        if month not in readings_partition_months(using=using):
            raise NotFound(
                _("Readings have no partition for %(month)s.") % {"month": f"{month:%Y-%m}"}
            )
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f"LOCK TABLE {name} IN SHARE MODE")
            expected = table_rows_checksum(cursor, name)
            _parquet_write(
                lambda: connection.connection.cursor(name=f"archive_{name}"),
                table=name,
                path=temporary,
            )
            _file_replace(temporary, final)
            found = parquet_rows_checksum(final)
            if found != expected:
                raise ArchiveCorrupt(
                    _(
                        "%(file)s does not hold the rows of %(month)s (%(found)s rows, checksum "
                        "%(found_sum)s; the table: %(rows)s rows, %(rows_sum)s); the partition "
                        "is kept."
                    )
                    % {
                        "file": final,
                        "month": f"{month:%Y-%m}",
                        "found": found.rows,
                        "found_sum": found.checksum,
                        "rows": expected.rows,
                        "rows_sum": expected.checksum,
                    }
                )
            entry = MonthArchive(
                month=f"{month:%Y-%m}",
                file=final.name,
                rows=expected.rows,
                sha256=file_sha256(final),
                rows_checksum=expected.checksum,
                archived_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            manifest_entry_write(directory, entry)
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {name}")
        with transaction.atomic(using=using), connection.cursor() as cursor:
            if table_rows_checksum(cursor, name) != expected:
                partition_changes_lock(cursor)
                partition_attach(cursor, month=month, keyed=True)
                raise Conflict(
                    _(
                        "Readings of %(month)s changed while they were archived: the partition "
                        "is kept; run the archive again."
                    )
                    % {"month": f"{month:%Y-%m}"}
                )
            cursor.execute(f"DROP TABLE {name}")
    return entry


def readings_archive(
    *,
    before: date,
    directory: Path,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[Iterable[date]], Iterator[date]] = iter,
) -> list[MonthArchive]:
    """Archive every monthly partition entirely before ``before``'s month, oldest first."""
    months = readings_months_to_archive(before=before, using=using)
    if not months:
        raise NotFound(
            _("No readings partition is entirely before %(month)s: nothing to archive.")
            % {"month": f"{before:%Y-%m}"}
        )
    return [
        readings_month_archive(month=month, directory=directory, using=using)
        for month in progress(months)
    ]


def archive_entry_verified(*, month: date, directory: Path) -> MonthArchive:
    """The manifest's entry for ``month``, its file present with the recorded SHA-256."""
    key = f"{month:%Y-%m}"
    entry = manifest_read(directory)["months"].get(key)
    if entry is None:
        raise NotFound(
            _("%(manifest)s has no archive of %(month)s.")
            % {"manifest": directory / MANIFEST, "month": key}
        )
    entry = MonthArchive(**entry)
    path = directory / entry.file
    if not path.is_file():
        raise NotFound(
            _("The archive of %(month)s, %(file)s, is missing.") % {"month": key, "file": path}
        )
    if file_sha256(path) != entry.sha256:
        raise ArchiveCorrupt(
            _("%(file)s is not the file archived (its SHA-256 differs from the manifest's).")
            % {"file": path}
        )
    return entry


def _copy_rows(table: pa.Table) -> bytes:
    """A row group of an archive file as rows of PostgreSQL's binary COPY (no Python per
    row)."""
    quality = table.column("quality").combine_chunks().dictionary_encode()
    source = pc.cast(table.column("source_time"), pa.int64()).combine_chunks()
    return binary_copy_rows(
        [
            Column("int8", table.column("meter_id").to_numpy()),
            Column("timestamptz", pc.cast(table.column("ts"), pa.int64()).to_numpy()),
            Column("float8", table.column("value").to_numpy()),
            Column(
                "text",
                np.asarray(quality.indices, dtype=np.int64),
                labels=tuple(quality.dictionary.to_pylist()),
            ),
            Column(
                "timestamptz",
                np.asarray(pc.fill_null(source, 0)),
                null=np.asarray(pc.is_null(source), dtype=np.int64),
            ),
        ]
    )


def readings_month_restore(
    *,
    month: date,
    directory: Path,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[Iterable], Iterator] = iter,
) -> MonthArchive:
    """Bring an archived month back: the file checked against the manifest, a table filled from
    it by COPY, its rows' checksum compared with the manifest's, then attached as the month's
    partition, in one transaction."""
    _postgres_required(using)
    entry = archive_entry_verified(month=month, directory=directory)
    name = month_partition_name(month)
    start, end = month_bounds(month)
    connection = connections[using]
    with _partition_changes_session_lock(using):
        if month in readings_partition_months(using=using):
            raise Conflict(
                _("Readings of %(month)s have a partition already: nothing restored.")
                % {"month": entry.month}
            )
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            parquet = pq.ParquetFile(directory / entry.file)
            with (
                connection.connection.cursor() as raw,
                raw.copy(f"COPY {name} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.write(HEADER)
                for group in progress(range(parquet.num_row_groups)):
                    copy.write(_copy_rows(parquet.read_row_group(group, columns=COLUMNS)))
                copy.write(TRAILER)
            found = table_rows_checksum(cursor, name)
            if (found.rows, found.checksum) != (entry.rows, entry.rows_checksum):
                raise ArchiveCorrupt(
                    _(
                        "The rows restored from %(file)s do not match the manifest (%(found)s "
                        "rows, checksum %(found_sum)s; the manifest: %(rows)s, %(rows_sum)s): "
                        "nothing restored."
                    )
                    % {
                        "file": entry.file,
                        "found": found.rows,
                        "found_sum": found.checksum,
                        "rows": entry.rows,
                        "rows_sum": entry.rows_checksum,
                    }
                )
            partition_changes_lock(cursor)
            cursor.execute(
                f"SELECT count(*) FROM {PARENT} WHERE ts >= %s AND ts < %s", [start, end]
            )
            (stray,) = cursor.fetchone()
            if stray:
                raise Conflict(
                    _(
                        "%(rows)s readings of %(month)s arrived after it was archived (they are "
                        "in the default partition): nothing restored."
                    )
                    % {"rows": stray, "month": entry.month}
                )
            partition_attach(cursor, month=month)
    return entry
