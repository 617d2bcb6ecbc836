"""Store many readings at once: new ones inserted, identical ones counted, changed ones
replaced when newer (the older value kept as a revision either way).

On PostgreSQL the rows are COPYed into a temporary staging table and merged with one
``INSERT … SELECT … ON CONFLICT``; other databases use a portable ORM path. Both give the
same result (tests/energy/test_ingest_store.py).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from energy.ingest.validate import ValidReading, from_microseconds, microseconds
from energy.models import Reading, ReadingRevision, RevisionKind


@dataclass(frozen=True, slots=True)
class UpsertResult:
    inserted: int
    duplicates: int
    corrected: int
    stale: int = 0  # changed values produced earlier than the stored ones: kept, not applied


def readings_upsert(
    *, readings: Sequence[ValidReading], batch_id=None, method: str = "auto"
) -> UpsertResult:
    """Merge readings into storage. Call inside a transaction. ``method``: auto|copy|portable.

    Newer wins: a reading whose value differs from the stored one replaces it only when its
    source produced it at the same time or later (``source_us``; unknown counts as earliest of
    all); the replaced value is kept as a ``replaced`` revision. A value produced earlier is
    kept as a ``stale`` revision and changes nothing. The same value again is a duplicate, and
    takes the later of the two source times.
    """
    if not readings:
        return UpsertResult(0, 0, 0)
    if method == "auto":
        method = "copy" if connection.vendor == "postgresql" else "portable"
    if method == "copy":
        return _upsert_copy(readings, batch_id)
    return _upsert_portable(readings, batch_id)


_STAGING_DDL = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_staging (
    meter_id bigint NOT NULL,
    epoch bigint NOT NULL,
    value double precision NOT NULL,
    quality varchar(10) NOT NULL,
    source_us bigint
) ON COMMIT DELETE ROWS
"""

NULL = "\\N"  # in COPY's text format
_SOURCE_TIME = "timestamptz 'epoch' + s.source_us * interval '1 microsecond'"

# Step 1: insert what is new. Fewer rows inserted than staged means some collided with
# stored readings (not the usual case for fresh data): step 2 sorts those out.
_INSERT_NEW_SQL = f"""
INSERT INTO energy_reading (meter_id, ts, value, quality, source_time)
SELECT s.meter_id, to_timestamp(s.epoch), s.value, s.quality, {_SOURCE_TIME} FROM ingest_staging s
ON CONFLICT (meter_id, ts) DO NOTHING
"""

# Step 2, only after collisions. Staged rows identical to the stored ones (just inserted, or
# duplicates with no later source time) are left out. Of the rest, a changed value produced no
# earlier than the stored one replaces it (the old value kept as a revision); one produced
# earlier is kept as a stale revision (once: a file delivered again adds no second copy); an
# unchanged value with a later source time moves the stored source time on. Every CTE sees the
# tables as they were before this statement. Returns (corrected, stale).
_MERGE_SQL = f"""
WITH staged AS (
    SELECT s.meter_id, to_timestamp(s.epoch) AS ts, s.value, s.quality,
           {_SOURCE_TIME} AS source_time
    FROM ingest_staging s
), compared AS (
    SELECT r.meter_id, r.ts,
           r.value AS old_value, r.quality AS old_quality, r.source_time AS old_source,
           s.value, s.quality, s.source_time,
           (r.value <> s.value OR r.quality <> s.quality) AS changed,
           coalesce(s.source_time, '-infinity') >= coalesce(r.source_time, '-infinity') AS newer
    FROM staged s
    JOIN energy_reading r ON r.meter_id = s.meter_id AND r.ts = s.ts
    WHERE r.value <> s.value OR r.quality <> s.quality
       OR coalesce(s.source_time, '-infinity') > coalesce(r.source_time, '-infinity')
), revisions AS (
    INSERT INTO energy_readingrevision
        (meter_id, ts, value, quality, source_time, kind, replaced_at, batch_id)
    SELECT c.meter_id, c.ts, c.old_value, c.old_quality, c.old_source,
           'replaced', now(), %(batch)s::uuid
    FROM compared c WHERE c.changed AND c.newer
    UNION ALL
    SELECT c.meter_id, c.ts, c.value, c.quality, c.source_time, 'stale', now(), %(batch)s::uuid
    FROM compared c WHERE c.changed AND NOT c.newer AND NOT EXISTS (
        SELECT 1 FROM energy_readingrevision v
        WHERE v.meter_id = c.meter_id AND v.ts = c.ts AND v.kind = 'stale'
          AND v.value = c.value AND v.quality = c.quality
          AND v.source_time IS NOT DISTINCT FROM c.source_time
    )
), updated AS (
    UPDATE energy_reading r
    SET value = c.value, quality = c.quality, source_time = c.source_time
    FROM compared c
    WHERE r.meter_id = c.meter_id AND r.ts = c.ts AND c.newer
    RETURNING c.changed
)
SELECT (SELECT count(*) FROM updated WHERE changed),
       (SELECT count(*) FROM compared WHERE changed AND NOT newer)
"""


def _upsert_copy(readings: Sequence[ValidReading], batch_id) -> UpsertResult:
    if not connection.in_atomic_block:
        # The staging table empties at every commit: outside a transaction the COPYed rows
        # would be gone before the merge reads them.
        raise RuntimeError("readings_upsert must run inside transaction.atomic()")
    # Text COPY format: tab-separated, one line per row, \N for NULL; repr() of a float
    # round-trips exactly.
    data = "".join(
        f"{r.meter_id}\t{r.epoch}\t{r.value!r}\t{r.quality}\t"
        f"{NULL if r.source_us is None else r.source_us}\n"
        for r in readings
    ).encode()
    with connection.cursor() as cursor:
        staging_prepare(cursor)
        with cursor.copy(
            "COPY ingest_staging (meter_id, epoch, value, quality, source_us) FROM STDIN"
        ) as copy:
            copy.write(data)
        return merge_staged(cursor, staged=len(readings), batch_id=batch_id)


def staging_prepare(cursor) -> None:
    """An empty ``ingest_staging`` table (temporary: this connection's, emptied at commit)."""
    cursor.execute(_STAGING_DDL)
    cursor.execute("TRUNCATE ingest_staging")


def merge_staged(cursor, *, staged: int, batch_id) -> UpsertResult:
    """Merge the ``staged`` readings in ``ingest_staging`` into storage (newer wins)."""
    corrected = stale = 0
    cursor.execute(_INSERT_NEW_SQL)
    inserted = cursor.rowcount
    if inserted < staged:
        # Fresh statistics on the staging table, so the planner probes the primary key per
        # staged row rather than scanning the readings table.
        cursor.execute("ANALYZE ingest_staging")
        cursor.execute(_MERGE_SQL, {"batch": batch_id})
        corrected, stale = cursor.fetchone()
    cursor.execute("TRUNCATE ingest_staging")
    return UpsertResult(inserted, staged - inserted - corrected - stale, corrected, stale)


def _upsert_portable(readings: Sequence[ValidReading], batch_id) -> UpsertResult:
    by_meter: dict[int, dict[int, ValidReading]] = defaultdict(dict)
    for reading in readings:
        by_meter[reading.meter_id][reading.epoch] = reading

    new: list[ValidReading] = []
    revisions: list[ReadingRevision] = []
    replacing: list[ValidReading] = []  # changed values, or the same with a later source time
    corrected = stale = 0
    for meter_id, incoming in by_meter.items():
        first, last = min(incoming), max(incoming)
        existing = Reading.objects.filter(
            meter_id=meter_id,
            ts__gte=_utc(first),
            ts__lte=_utc(last),
        ).values_list("ts", "value", "quality", "source_time")
        stored = {
            int(ts.timestamp()): (value, quality, _us(source_time))
            for ts, value, quality, source_time in existing
        }
        known_stale = _stale_revisions(meter_id, first, last) if stored else set()
        for epoch, reading in incoming.items():
            before = stored.get(epoch)
            if before is None:
                new.append(reading)
                continue
            value, quality, source_us = before
            changed = (value, quality) != (reading.value, reading.quality)
            incoming_order, stored_order = _order(reading.source_us), _order(source_us)
            if not changed:
                if incoming_order > stored_order:
                    replacing.append(reading)  # a duplicate that moves the source time on
            elif incoming_order >= stored_order:
                corrected += 1
                replacing.append(reading)
                revisions.append(
                    _revision(meter_id, epoch, value, quality, source_us, RevisionKind.REPLACED)
                )
            else:
                stale += 1
                key = (epoch, reading.value, reading.quality, reading.source_us)
                if key not in known_stale:
                    known_stale.add(key)
                    revisions.append(
                        _revision(
                            meter_id,
                            epoch,
                            reading.value,
                            reading.quality,
                            reading.source_us,
                            RevisionKind.STALE,
                        )
                    )
    for revision in revisions:
        revision.batch_id = batch_id

    _insert_many(new)
    ReadingRevision.objects.bulk_create(revisions, batch_size=1000)
    for reading in replacing:  # corrections are rare; one UPDATE each is fine
        Reading.objects.filter(meter_id=reading.meter_id, ts=_utc(reading.epoch)).update(
            value=reading.value,
            quality=reading.quality,
            source_time=_source_time(reading.source_us),
        )
    duplicates = len(readings) - len(new) - corrected - stale
    return UpsertResult(len(new), duplicates, corrected, stale)


def _order(source_us: int | None) -> float:
    return float("-inf") if source_us is None else source_us


def _us(moment: datetime | None) -> int | None:
    return None if moment is None else microseconds(moment)


def _source_time(source_us: int | None) -> datetime | None:
    return None if source_us is None else from_microseconds(source_us)


def _revision(meter_id, epoch, value, quality, source_us, kind) -> ReadingRevision:
    return ReadingRevision(
        meter_id=meter_id,
        ts=_utc(epoch),
        value=value,
        quality=quality,
        source_time=_source_time(source_us),
        kind=kind,
    )


def _stale_revisions(meter_id: int, first: int, last: int) -> set[tuple]:
    """The stale values already kept for a meter's intervals (not kept a second time)."""
    return {
        (int(ts.timestamp()), value, quality, _us(source_time))
        for ts, value, quality, source_time in ReadingRevision.objects.filter(
            meter_id=meter_id,
            kind=RevisionKind.STALE,
            ts__gte=_utc(first),
            ts__lte=_utc(last),
        ).values_list("ts", "value", "quality", "source_time")
    }


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _insert_many(readings: Sequence[ValidReading]) -> None:
    """Plain parameterised INSERTs, many rows per round trip (no model instances needed)."""
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(Reading._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (meter_id, ts, value, quality, source_time) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    r.meter_id,
                    adapt(_utc(r.epoch)),
                    r.value,
                    r.quality,
                    adapt(_source_time(r.source_us)),
                )
                for r in readings
            ],
        )
