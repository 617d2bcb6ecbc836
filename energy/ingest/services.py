"""Ingest services: accept a delivered body as a batch, and process a batch into readings."""

import hashlib
import logging
import time
from collections import Counter
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.celery_app import task_by_name
from config.degrade import REDIS_ERRORS, redis_unavailable
from config.errors import Conflict, PayloadTooLarge, ShoeneError, ValidationFailed
from config.observability.context import log_context
from config.observability.metrics import BATCH_DURATION, BATCHES, READINGS, exemplar
from config.observability.tracing import tracer
from energy.ingest.parse import (
    csv_plain_columns,
    decode_body,
    format_for_content_type,
    format_registered,
    parse_rows,
    payload_check,
)
from energy.ingest.staging import Delivery, Unsuitable, batches_stage
from energy.ingest.store import readings_upsert
from energy.ingest.validate import MeterRules, readings_validate
from energy.models import BatchFormat, BatchStatus, IngestBatch, Meter
from energy.rollups import daily_usage_refresh, local_dates_touched, meter_time_zones

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_MAX_LENGTH = IngestBatch._meta.get_field("idempotency_key").max_length


def batch_receive(
    *,
    client,
    body: bytes,
    content_type: str,
    idempotency_key: str | None = None,
    source: str = "api",
    enqueue: bool = True,
    fmt: str | None = None,
    source_time: datetime | None = None,
) -> tuple[IngestBatch, bool]:
    """Store a delivered body as a batch and queue it; return (batch, created).

    ``enqueue=False`` leaves queuing (or processing in place) to the caller, as back-fills do.
    ``fmt`` names the format when the content type alone does not (Green Button XML).
    ``source_time`` is when the source produced the body (a file's time), if not just now:
    its readings do not replace values produced later.

    The body is checked as a whole first (unparseable or too large: an error, nothing stored).
    With an idempotency key the client already used, the earlier batch is returned.
    """
    fmt = fmt or format_for_content_type(content_type)
    if len(body) > settings.INGEST_MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"The body is {len(body)} bytes; "
            f"at most {settings.INGEST_MAX_BODY_BYTES} are accepted per request.",
        )
    if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationFailed(
            f"The Idempotency-Key is {len(idempotency_key)} characters long; "
            f"at most {IDEMPOTENCY_KEY_MAX_LENGTH} are accepted.",
            code="invalid_idempotency_key",
        )
    digest = hashlib.sha256(body).hexdigest()
    if idempotency_key:
        earlier = _batch_for_key(client, idempotency_key, digest)
        if earlier is not None:
            return earlier, False

    text = decode_body(body)
    rows = payload_check(text=text, fmt=fmt, max_rows=settings.INGEST_MAX_ROWS)
    try:
        with transaction.atomic():
            batch = IngestBatch.objects.create(
                client=client,
                idempotency_key=idempotency_key or "",
                source=source,
                format=fmt,
                payload=text,
                payload_sha256=digest,
                row_count=rows,
                source_time=source_time,
            )
            if enqueue:
                batch_enqueue(batch_id=batch.pk)
    except IntegrityError:
        # The same key arrived concurrently and the other request won: answer with its batch.
        earlier = _batch_for_key(client, idempotency_key, digest) if idempotency_key else None
        if earlier is None:
            raise
        return earlier, False
    logger.info(
        "Ingest batch %s received: %d rows",
        batch.pk,
        rows,
        extra={"batch_id": str(batch.pk), "rows": rows, "source": source},
    )
    return batch, True


def _batch_for_key(client, key: str, digest: str) -> IngestBatch | None:
    earlier = IngestBatch.objects.filter(client=client, idempotency_key=key).first()
    if earlier is not None and earlier.payload_sha256 != digest:
        raise Conflict(
            "This Idempotency-Key was already used with a different body; "
            "use a new key for new data.",
            code="idempotency_key_reused",
            details={"batch": str(earlier.pk)},
        )
    return earlier


def batch_enqueue(*, batch_id: UUID) -> None:
    """Queue a batch for processing once the current transaction commits.

    A broker that is down does not lose the batch: it is stored as ``received`` and can be
    queued again later.
    """
    ingest_batch_process = task_by_name("energy.tasks.ingest_batch_process")

    def send() -> None:
        # In-process tasks (the embedded default) raise their own errors; a broker's are
        # degraded. Asked of the Celery app, which is what decides where the task goes.
        in_process = ingest_batch_process.app.conf.task_always_eager
        try:
            ingest_batch_process.delay(str(batch_id))
        except REDIS_ERRORS:
            if in_process:
                raise
            # The broker is down: counted, and the sweeper queues the batch later.
            redis_unavailable(use="ingest_enqueue", lost="a batch waits, received, for the sweeper")
        except Exception:
            if in_process:
                raise
            logger.exception("Could not queue ingest batch %s; it stays received", batch_id)

    transaction.on_commit(send)


def batch_process(*, batch_id: UUID | str, recommendations_follow: bool = True) -> IngestBatch:
    """Parse, validate and store a batch's readings, then roll up the days it touched.

    Idempotent: a batch already done is left as it is, and the storage itself counts a
    re-delivered reading as a duplicate. Only one worker processes a batch at a time.
    ``recommendations_follow=False`` leaves the touched premises' recommendations to the
    caller (``seed_demo`` computes every premise's once at the end).
    """
    with (
        log_context(batch_id=str(batch_id)),
        tracer().start_as_current_span("ingest.batch_process") as span,
    ):
        span.set_attribute("shoene.batch_id", str(batch_id))
        started = time.perf_counter()
        batch, finished_here, with_it = _batch_process(batch_id, recommendations_follow)
        span.set_attribute("shoene.batch_status", batch.status)
        span.set_attribute("shoene.batches_with_it", len(with_it))
        seconds = time.perf_counter() - started
        for finished in [batch, *with_it] if finished_here else with_it:
            _batch_observe(finished, seconds=seconds)
        return batch


def _batch_observe(batch: IngestBatch, *, seconds: float) -> None:
    """Metrics and the log line of a batch this call finished (not one found already done)."""
    BATCHES.labels(batch.status).inc()
    BATCH_DURATION.labels(batch.status).observe(seconds, exemplar=exemplar())
    if batch.status == BatchStatus.DONE:
        READINGS.labels("accepted", "").inc(batch.accepted_count)
        READINGS.labels("duplicate", "").inc(batch.duplicate_count)
        READINGS.labels("corrected", "").inc(batch.corrected_count)
        READINGS.labels("stale", "").inc(batch.stale_count)
        for reason, count in batch.rejected_reasons.items():
            READINGS.labels("rejected", reason).inc(count)
    logger.info(
        "Ingest batch %s %s in %.3f s",
        batch.pk,
        batch.status,
        seconds,
        extra={
            "batch_status": batch.status,
            "duration_ms": round(seconds * 1000, 1),
            "accepted": batch.accepted_count,
            "duplicates": batch.duplicate_count,
            "corrected": batch.corrected_count,
            "stale": batch.stale_count,
            "rejected": batch.rejected_count,
        },
    )


def _batch_process(batch_id, recommendations_follow: bool):
    """The batch, whether this call finished it (done or failed) rather than found it done, and
    the other batches it finished with it (when the queue was deep)."""
    with transaction.atomic():
        # Not the payload yet (it can be megabytes): only the transaction below reads it.
        batch = IngestBatch.objects.select_for_update().defer("payload").get(pk=batch_id)
        if batch.status == BatchStatus.DONE:
            return batch, False, []
        batch.status = BatchStatus.PROCESSING
        batch.attempts += 1
        batch.started_at = timezone.now()
        batch.save(update_fields=["status", "attempts", "started_at"])

    with_it: list[IngestBatch] = []
    try:
        with transaction.atomic():
            # Held until commit: a second worker given the same batch waits, then sees it done.
            batch = IngestBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status == BatchStatus.DONE:
                return batch, False, []
            with_it = _process_locked(batch, recommendations_follow=recommendations_follow)
    except (OperationalError, InterfaceError):
        raise  # transient (database restart, dropped connection): the task retries
    except ShoeneError as exc:
        _mark_failed(batch_id, exc.message)
        batch.refresh_from_db()
    except Exception as exc:
        # A bug, not bad data: say so on the batch instead of leaving it "processing"; the raw
        # payload is kept, so the batch can be processed again once the bug is fixed.
        _mark_failed(batch_id, f"Internal error: {type(exc).__name__}: {exc}")
        logger.exception("Ingest batch %s failed with an internal error", batch_id)
        BATCHES.labels(BatchStatus.FAILED).inc()
        raise
    return batch, True, with_it


def _mark_failed(batch_id, error: str) -> None:
    IngestBatch.objects.filter(pk=batch_id).update(
        status=BatchStatus.FAILED,
        error=error[:2000],
        finished_at=timezone.now(),
    )


def _process_locked(batch: IngestBatch, *, recommendations_follow: bool) -> list[IngestBatch]:
    """Store the batch's readings and finish it; when other batches wait (a deep queue), take
    some of them too and store them all at once. Returns the other batches finished."""
    own = _fast_delivery(batch)
    group = [(batch, own), *_waiting_batches_claim(batch)] if own else [(batch, own)]
    outcomes = _stored_fast([delivery for _, delivery in group]) if len(group) > 1 else None
    if outcomes is None:  # alone
        group = group[:1]
        outcomes = (own and _stored_fast([own])) or [_stored_reference(batch)]
    others = [other for other, _ in group[1:]]
    meter_ids = sorted({meter_id for *_, touched in outcomes for meter_id in touched})
    if meter_ids and recommendations_follow:
        # Recommendations of the touched premises follow the new data (debounced, after
        # commit: a rolled-back batch recomputes nothing).
        transaction.on_commit(lambda: _recommendations_follow(meter_ids=meter_ids))
    started = timezone.now()
    for other in others:
        other.attempts += 1
        other.started_at = started
    for finished, outcome in zip([batch, *others], outcomes, strict=True):
        _batch_finish(finished, outcome)
    return others


def _batch_finish(batch: IngestBatch, outcome) -> None:
    stored, rejected, notes, _ = outcome
    keep = settings.INGEST_REJECTED_ROWS_KEPT
    batch.accepted_count = stored.inserted
    batch.duplicate_count = stored.duplicates
    batch.corrected_count = stored.corrected
    batch.stale_count = stored.stale
    batch.rejected_count = len(rejected)
    batch.rejected_rows = [rejection.as_dict() for rejection in rejected[:keep]]
    batch.rejected_reasons = dict(Counter(str(r.reason) for r in rejected))
    batch.notes = notes
    batch.status = BatchStatus.DONE
    batch.error = ""
    batch.finished_at = timezone.now()
    batch.save(
        update_fields=[
            "attempts",
            "started_at",
            "accepted_count",
            "duplicate_count",
            "corrected_count",
            "stale_count",
            "rejected_count",
            "rejected_rows",
            "rejected_reasons",
            "notes",
            "status",
            "error",
            "finished_at",
        ]
    )  # not the payload: it is large and never changes


def _stored_reference(batch: IngestBatch):
    """The reference path (any database, any format): rows parsed and checked in Python, then
    stored and rolled up. Returns (UpsertResult, rejections, notes, touched meter ids)."""
    with tracer().start_as_current_span("ingest.parse_validate"):
        notes: list[str] = []
        if (registered := format_registered(batch.format)) is not None:
            rows, notes = registered.rows(batch)
        else:
            rows = list(parse_rows(text=batch.payload, fmt=batch.format))
        serials = {row.meter for row in rows if isinstance(row.meter, str)}
        result = readings_validate(
            rows,
            meters=meter_rules(serials=serials),
            now=timezone.now(),
            produced_at=batch.produced_at,
        )

    # Batches for the same meters take turns from here to commit (meters locked in id order,
    # so no deadlock): otherwise two could rebuild the same day concurrently, each without
    # the other's uncommitted readings, and the later rollup would miss the earlier readings.
    # The same query gives the meters' time zones for the rollup.
    locked = Meter.objects.select_for_update(no_key=True, of=("self",)).filter(
        pk__in={reading.meter_id for reading in result.valid}
    )
    zones = meter_time_zones(locked.order_by("pk"))
    with tracer().start_as_current_span("ingest.store"):
        stored = readings_upsert(readings=result.valid, batch_id=batch.pk)
    touched = local_dates_touched(
        meter_epochs=((r.meter_id, r.epoch) for r in result.valid), zones=zones
    )
    with tracer().start_as_current_span("ingest.rollup"):
        daily_usage_refresh(dates_by_meter=touched, zones=zones)
    return stored, result.rejected, notes, sorted(touched)


def _stored_fast(deliveries: list[Delivery]):
    """The fast path (energy/ingest/staging.py) for one batch or several at once: each batch's
    outcome, or None when it takes the reference path (they are better stored one by one)."""
    with tracer().start_as_current_span("ingest.staged") as span:
        span.set_attribute("shoene.batches", len(deliveries))
        try:
            staged = batches_stage(
                deliveries=deliveries,
                rules_for=lambda serials: meter_rules(serials=serials),
                lock_zones=_meters_lock,
                now=timezone.now(),
            )
        except Unsuitable as exc:
            alone = len(deliveries) == 1
            logger.info(
                "Ingest batch %s %s: %s",
                deliveries[0].batch_id,
                "takes the reference path" if alone else "and those waiting are stored one by one",
                exc,
            )
            return None
    return [(one.stored, one.rejected, [], one.meter_ids) for one in staged]


def _fast_delivery(batch: IngestBatch) -> Delivery | None:
    """The batch as the fast path takes it (PostgreSQL, a plain CSV body), else None."""
    if (
        not settings.INGEST_FAST_PATH
        or connection.vendor != "postgresql"
        or batch.format != BatchFormat.CSV
        or (columns := csv_plain_columns(batch.payload)) is None
    ):
        return None
    return Delivery(
        text=batch.payload, columns=columns, produced_at=batch.produced_at, batch_id=batch.pk
    )


def _waiting_batches_claim(batch: IngestBatch) -> list[tuple[IngestBatch, Delivery]]:
    """Other batches still waiting for a worker (``received``, plain CSV), oldest first, that
    this transaction takes with ``batch``: at most ``INGEST_BATCHES_PER_TRANSACTION`` in all and
    ``INGEST_MAX_ROWS`` rows. Their own messages find them done. A batch another worker holds
    is skipped, not waited for."""
    size = settings.INGEST_BATCHES_PER_TRANSACTION
    if size < 2:
        return []
    waiting = (
        IngestBatch.objects.select_for_update(skip_locked=True)
        .filter(status=BatchStatus.RECEIVED, format=BatchFormat.CSV)
        .exclude(pk=batch.pk)
        .order_by("received_at")[: size - 1]
    )
    taken, rows = [], batch.row_count
    for other in waiting:
        if rows + other.row_count > settings.INGEST_MAX_ROWS:
            break
        if (delivery := _fast_delivery(other)) is not None:
            taken.append((other, delivery))
            rows += other.row_count
    return taken


def _meters_lock(meter_ids: list[int]) -> dict[int, str]:
    """Lock the meters in id order, as on the reference path (see there); their time zones."""
    locked = Meter.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=meter_ids)
    return meter_time_zones(locked.order_by("pk"))


def _recommendations_follow(*, meter_ids: list[int]) -> None:
    """Queue the touched premises' recomputation; a broker that is down does not fail a batch
    whose readings are already committed (the nightly recomputation covers them)."""
    recommendations_touched = task_by_name("energy.tasks.recommendations_touched")
    try:
        recommendations_touched.delay(meter_ids)
    except Exception:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.exception("Could not queue recommendations for meters %s", meter_ids)


def batch_replay(*, batch: IngestBatch, client) -> IngestBatch:
    """Ingest a stored batch's payload again as a new batch, processed in place.

    For readings that were held back (a Green Button usage point assigned to a meter since):
    readings stored the first time come back as duplicates and change nothing. The replay keeps
    the original's source time, so it does not undo corrections that arrived since.
    """
    body = batch.payload.encode("utf-8")
    with transaction.atomic():
        replay, _ = batch_receive(
            client=client,
            body=body,
            content_type="",
            fmt=batch.format,
            source="replay",
            enqueue=False,
            source_time=batch.produced_at,
        )
    return batch_process(batch_id=replay.pk)


def meter_rules(*, serials: set[str]) -> dict[str, MeterRules]:
    """Validation rules for the meters with these serials (unknown serials are absent)."""
    per_hour = settings.INGEST_MAX_VALUE_PER_HOUR
    rules = {}
    meters = Meter.objects.filter(serial__in=serials).values_list(
        "pk",
        "serial",
        "commodity",
        "interval_minutes",
        "max_value_per_interval",
        "installed_on",
        "premise__region__time_zone",
    )
    for pk, serial, commodity, minutes, limit, installed_on, zone in meters:
        if limit is None:
            limit = per_hour[commodity] * minutes / 60
        installed_from = None
        if installed_on is not None:
            midnight = datetime.combine(installed_on, datetime.min.time(), tzinfo=ZoneInfo(zone))
            installed_from = int(midnight.timestamp())
        rules[serial] = MeterRules(
            pk, minutes, limit, installed_from, installed_on.isoformat() if installed_on else ""
        )
    return rules


def batches_requeue_stale(
    *,
    received_for: timedelta | None = None,
    processing_for: timedelta | None = None,
    limit: int = 1000,
) -> int:
    """Queue again the batches nobody is working on; return how many.

    A batch stays ``received`` when the broker was down as it arrived or lost its queue (Redis
    restarted without persistence), and ``processing`` when its worker died mid-batch (its
    message waits for the broker's visibility timeout, an hour) or its retries ran out. A
    batch still locked by a live worker is skipped, however long it has taken. Processing is
    idempotent and one worker at a time holds a batch, so queuing one twice is harmless.

    The thresholds default to ``INGEST_REQUEUE_RECEIVED_AFTER_S`` and
    ``INGEST_REQUEUE_PROCESSING_AFTER_S``.
    """
    if received_for is None:
        received_for = timedelta(seconds=settings.INGEST_REQUEUE_RECEIVED_AFTER_S)
    if processing_for is None:
        processing_for = timedelta(seconds=settings.INGEST_REQUEUE_PROCESSING_AFTER_S)
    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: a batch's row is locked while a worker processes it (batch_process).
        stale = (
            IngestBatch.objects.filter(
                Q(status=BatchStatus.RECEIVED, received_at__lt=now - received_for)
                | Q(status=BatchStatus.PROCESSING, started_at__lt=now - processing_for)
            )
            .order_by("received_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        batch_ids = [
            batch_id
            for batch_id in stale[:limit]
            # Queued again at most once per threshold: in a backlog longer than the threshold
            # each sweep would otherwise add another message for the same batch. The marks
            # live in the cache (Redis): a restarted Redis forgets them with its queue.
            if cache.add(
                f"ingest:requeued:{batch_id}",
                True,
                timeout=max(1, int(received_for.total_seconds())),
            )
        ]
        for batch_id in batch_ids:
            batch_enqueue(batch_id=batch_id)  # sent once this transaction commits
    if batch_ids:
        logger.warning("Queued %d stale ingest batches again", len(batch_ids))
    return len(batch_ids)
