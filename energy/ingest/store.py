"""Store many readings at once: new ones inserted, identical ones counted, changed ones revised.

On PostgreSQL the rows are COPYed into a temporary staging table and merged with one
``INSERT … SELECT … ON CONFLICT``; other databases use a portable ORM path. Both give the
same result (tests/energy/test_ingest_store.py).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from energy.ingest.validate import ValidReading
from energy.models import Reading, ReadingRevision


@dataclass(frozen=True, slots=True)
class UpsertResult:
    inserted: int
    duplicates: int
    corrected: int


def readings_upsert(
    *, readings: Sequence[ValidReading], batch_id=None, method: str = "auto"
) -> UpsertResult:
    """Merge readings into storage. Call inside a transaction. ``method``: auto|copy|portable."""
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
    quality varchar(10) NOT NULL
) ON COMMIT DELETE ROWS
"""

# Step 1: insert what is new. Fewer rows inserted than staged means some collided with
# stored readings (not the usual case for fresh data): step 2 sorts those out.
_INSERT_NEW_SQL = """
INSERT INTO energy_reading (meter_id, ts, value, quality)
SELECT meter_id, to_timestamp(epoch), value, quality FROM ingest_staging
ON CONFLICT (meter_id, ts) DO NOTHING
"""

# Step 2, only after collisions: staged rows equal to the stored ones (just inserted, or
# duplicates) are left alone; changed ones are updated and their old value kept as a
# revision. Both CTEs see the readings as they were before this statement.
_CORRECT_SQL = """
WITH changed AS (
    SELECT r.meter_id, r.ts, r.value AS old_value, r.quality AS old_quality,
           s.value, s.quality
    FROM ingest_staging s
    JOIN energy_reading r ON r.meter_id = s.meter_id AND r.ts = to_timestamp(s.epoch)
    WHERE r.value <> s.value OR r.quality <> s.quality
), revisions AS (
    INSERT INTO energy_readingrevision (meter_id, ts, value, quality, replaced_at, batch_id)
    SELECT meter_id, ts, old_value, old_quality, now(), %s FROM changed
), updated AS (
    UPDATE energy_reading r SET value = c.value, quality = c.quality
    FROM changed c
    WHERE r.meter_id = c.meter_id AND r.ts = c.ts
    RETURNING 1
)
SELECT count(*) FROM updated
"""


def _upsert_copy(readings: Sequence[ValidReading], batch_id) -> UpsertResult:
    if not connection.in_atomic_block:
        # The staging table empties at every commit: outside a transaction the COPYed rows
        # would be gone before the merge reads them.
        raise RuntimeError("readings_upsert must run inside transaction.atomic()")
    # Text COPY format: tab-separated, one line per row; repr() of a float round-trips exactly.
    data = "".join(
        f"{r.meter_id}\t{r.epoch}\t{r.value!r}\t{r.quality}\n" for r in readings
    ).encode()
    corrected = 0
    with connection.cursor() as cursor:
        cursor.execute(_STAGING_DDL)
        cursor.execute("TRUNCATE ingest_staging")
        with cursor.copy(
            "COPY ingest_staging (meter_id, epoch, value, quality) FROM STDIN"
        ) as copy:
            copy.write(data)
        cursor.execute(_INSERT_NEW_SQL)
        inserted = cursor.rowcount
        if inserted < len(readings):
            # Fresh statistics on the staging table, so the planner probes the primary key
            # per staged row rather than scanning the readings table.
            cursor.execute("ANALYZE ingest_staging")
            cursor.execute(_CORRECT_SQL, [batch_id])
            (corrected,) = cursor.fetchone()
        cursor.execute("TRUNCATE ingest_staging")
    return UpsertResult(inserted, len(readings) - inserted - corrected, corrected)


def _upsert_portable(readings: Sequence[ValidReading], batch_id) -> UpsertResult:
    by_meter: dict[int, dict[int, ValidReading]] = defaultdict(dict)
    for reading in readings:
        by_meter[reading.meter_id][reading.epoch] = reading

    new: list[ValidReading] = []
    revisions: list[ReadingRevision] = []
    changed: list[ValidReading] = []
    duplicates = 0
    for meter_id, incoming in by_meter.items():
        first, last = min(incoming), max(incoming)
        existing = Reading.objects.filter(
            meter_id=meter_id,
            ts__gte=_utc(first),
            ts__lte=_utc(last),
        ).values_list("ts", "value", "quality")
        stored = {int(ts.timestamp()): (value, quality) for ts, value, quality in existing}
        for epoch, reading in incoming.items():
            before = stored.get(epoch)
            if before is None:
                new.append(reading)
            elif before == (reading.value, reading.quality):
                duplicates += 1
            else:
                changed.append(reading)
                revisions.append(
                    ReadingRevision(
                        meter_id=meter_id,
                        ts=_utc(epoch),
                        value=before[0],
                        quality=before[1],
                        batch_id=batch_id,
                    )
                )

    _insert_many(new)
    ReadingRevision.objects.bulk_create(revisions, batch_size=1000)
    for reading in changed:  # corrections are rare; one UPDATE each is fine
        Reading.objects.filter(meter_id=reading.meter_id, ts=_utc(reading.epoch)).update(
            value=reading.value,
            quality=reading.quality,
        )
    return UpsertResult(len(new), duplicates, len(changed))


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _insert_many(readings: Sequence[ValidReading]) -> None:
    """Plain parameterised INSERTs, many rows per round trip (no model instances needed)."""
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(Reading._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (meter_id, ts, value, quality) VALUES (%s, %s, %s, %s)",
            [(r.meter_id, adapt(_utc(r.epoch)), r.value, r.quality) for r in readings],
        )
