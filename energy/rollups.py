"""DailyUsage: readings rolled up per local day (SQL on PostgreSQL, Python elsewhere)."""

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db import connection, transaction

from energy.models import DailyUsage, Meter, Quality, Reading

# The "night" window used for standby baseload, local time: 01:00 up to 05:00.
NIGHT_FIRST_HOUR = 1
NIGHT_LAST_HOUR = 4


def meter_time_zones(meters) -> dict[int, str]:
    """Meter id -> its region's time zone name, for a Meter queryset (one query)."""
    return dict(meters.values_list("pk", "premise__region__time_zone"))


def local_dates_touched(
    *, meter_epochs: Iterable[tuple[int, int]], zones: dict[int, str] | None = None
) -> dict[int, set[date]]:
    """Map (meter id, interval start epoch) pairs to the local dates they fall on, per meter.

    ``zones`` (from ``meter_time_zones``) saves looking the meters' time zones up again.
    """
    epochs_by_meter: dict[int, set[int]] = defaultdict(set)
    for meter_id, epoch in meter_epochs:
        epochs_by_meter[meter_id].add(epoch)
    if zones is None:
        zones = meter_time_zones(Meter.objects.filter(pk__in=epochs_by_meter))
    touched: dict[int, set[date]] = {}
    for meter_id, epochs in epochs_by_meter.items():
        instants = np.fromiter(epochs, dtype=np.int64, count=len(epochs))
        local_days = np.unique((instants + utc_offsets(instants, zones[meter_id])) // 86400)
        touched[meter_id] = {day_date(day) for day in local_days.tolist()}
    return touched


_EPOCH_DATE = date(1970, 1, 1)


def day_date(days: int) -> date:
    """A day number (days since 1970-01-01) as a date."""
    return _EPOCH_DATE + timedelta(days=days)


def day_number(day: date) -> int:
    return (day - _EPOCH_DATE).days


def utc_offsets(epochs: np.ndarray, zone_name: str) -> np.ndarray:
    """The zone's UTC offset in seconds at each instant (seconds since 1970), worked out once
    per distinct quarter hour: offsets change on quarter hours at the finest (not hours:
    +05:30 in India and +05:45 in Nepal start a day mid-hour)."""
    quarters, index = np.unique(epochs - epochs % 900, return_inverse=True)
    tz = zoneinfo.ZoneInfo(zone_name)
    known = _OFFSETS.setdefault(zone_name, {})
    if len(known) > _OFFSETS_KEPT:
        known.clear()
    offsets = []
    for q in quarters.tolist():
        offset = known.get(q)
        if offset is None:
            offset = known[q] = int(datetime.fromtimestamp(q, tz).utcoffset().total_seconds())
        offsets.append(offset)
    return np.array(offsets, dtype=np.int64)[index]


# Offsets this process has worked out, per zone and quarter hour (successive ingest batches
# mostly cover the same recent hours).
_OFFSETS: dict[str, dict[int, int]] = {}
_OFFSETS_KEPT = 200_000


def daily_usage_refresh(
    *,
    dates_by_meter: dict[int, set[date]],
    zones: dict[int, str] | None = None,
    method: str = "auto",
) -> int:
    """Recompute DailyUsage for these meters and local dates; return the rows written.

    Idempotent: the days are rebuilt from all their stored readings, whatever was there.
    ``method``: auto, sql (one PostgreSQL statement) or portable (ORM, any database).
    """
    if not dates_by_meter:
        return 0
    if zones is None:
        zones = meter_time_zones(Meter.objects.filter(pk__in=dates_by_meter))
    meters_by_zone: dict[str, list[int]] = defaultdict(list)
    for meter_id in dates_by_meter:
        meters_by_zone[zones[meter_id]].append(meter_id)

    if method == "auto":
        method = "sql" if connection.vendor == "postgresql" else "portable"
    written = 0
    for zone_name, meter_ids in meters_by_zone.items():
        if method == "sql":
            written += _refresh_sql(zone_name, {m: dates_by_meter[m] for m in meter_ids})
            continue
        tz = zoneinfo.ZoneInfo(zone_name)
        wanted = {(m, d) for m in meter_ids for d in dates_by_meter[m]}
        all_dates = {d for _, d in wanted}
        start = datetime.combine(min(all_dates), time(), tzinfo=tz)
        end = datetime.combine(max(all_dates) + timedelta(days=1), time(), tzinfo=tz)
        objs = [
            DailyUsage(meter_id=meter_id, date=day, **values)
            for (meter_id, day), values in _aggregate(meter_ids, start, end, tz).items()
            if (meter_id, day) in wanted
        ]
        DailyUsage.objects.bulk_create(
            objs,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["meter", "date"],
            update_fields=[
                "total",
                "baseload",
                "peak",
                "peak_at",
                "night_total",
                "intervals",
                "estimated_intervals",
                "computed_at",
            ],
        )
        written += len(objs)
    return written


def _aggregate(meter_ids, start, end, tz) -> dict[tuple[int, date], dict]:
    """Each (meter, local day)'s rollup, computed in Python from one plain read of readings.

    Grouping in the database would call SQLite's Python-level time zone functions twice per
    reading; reading (meter, ts, value) once and grouping here is an order of magnitude faster.
    """
    readings = (
        Reading.objects.filter(meter_id__in=meter_ids, ts__gte=start, ts__lt=end)
        .order_by()
        .values_list("meter_id", "ts", "value", "quality")
    )
    days: dict[tuple[int, date], dict] = {}
    for meter_id, ts, value, quality in readings.iterator(chunk_size=20_000):
        local = ts.astimezone(tz)
        key = (meter_id, local.date())
        day = days.get(key)
        if day is None:
            days[key] = day = {
                "total": 0.0,
                "baseload": value,
                "peak": value,
                "peak_at": ts,
                "night_total": 0.0,
                "intervals": 0,
                "estimated_intervals": 0,
            }
        day["total"] += value
        day["intervals"] += 1
        if quality == Quality.ESTIMATED:
            day["estimated_intervals"] += 1
        day["baseload"] = min(day["baseload"], value)
        # The start of the day's largest interval, the earliest on a tie.
        if value > day["peak"] or (value == day["peak"] and ts < day["peak_at"]):
            day["peak"], day["peak_at"] = value, ts
        if NIGHT_FIRST_HOUR <= local.hour <= NIGHT_LAST_HOUR:
            day["night_total"] += value
    return days


# One statement per time zone: each wanted (meter, local day) is rebuilt from the readings in
# its UTC range, found through the (meter_id, ts) primary key.
_REFRESH_SQL = """
WITH wanted AS (
    SELECT meter_id, day,
           (day::timestamp AT TIME ZONE %(tz)s) AS day_start,
           ((day + 1)::timestamp AT TIME ZONE %(tz)s) AS day_end
    FROM unnest(%(meter_ids)s::bigint[], %(days)s::date[]) AS w(meter_id, day)
), rolled AS (
    SELECT w.meter_id, w.day,
           sum(r.value) AS total,
           min(r.value) AS baseload,
           max(r.value) AS peak,
           (array_agg(r.ts ORDER BY r.value DESC, r.ts))[1] AS peak_at,
           coalesce(sum(r.value) FILTER (
               WHERE extract(hour FROM r.ts AT TIME ZONE %(tz)s) BETWEEN %(night_first)s
                                                                     AND %(night_last)s
           ), 0) AS night_total,
           count(*) AS intervals,
           count(*) FILTER (WHERE r.quality = 'estimated') AS estimated_intervals
    FROM wanted w
    JOIN energy_reading r
      ON r.meter_id = w.meter_id AND r.ts >= w.day_start AND r.ts < w.day_end
    GROUP BY w.meter_id, w.day
)
INSERT INTO energy_dailyusage
    (meter_id, date, total, baseload, peak, peak_at, night_total, intervals,
     estimated_intervals, computed_at)
SELECT meter_id, day, total, baseload, peak, peak_at, night_total, intervals,
       estimated_intervals, now()
FROM rolled
ON CONFLICT (meter_id, date) DO UPDATE SET
    total = EXCLUDED.total, baseload = EXCLUDED.baseload, peak = EXCLUDED.peak,
    peak_at = EXCLUDED.peak_at, night_total = EXCLUDED.night_total,
    intervals = EXCLUDED.intervals, estimated_intervals = EXCLUDED.estimated_intervals,
    computed_at = EXCLUDED.computed_at
"""


# Meter-days per statement. With many more, PostgreSQL's estimate for the unnest() join tips
# the plan from index lookups to a hash join over the whole readings table (seen at about
# 6,000-8,000 pairs on 52 M readings: 40 s instead of 0.3 s; docs/benchmarks.md).
REFRESH_PAIRS_PER_STATEMENT = 2000


def _refresh_sql(zone_name: str, dates_by_meter: dict[int, set[date]]) -> int:
    pairs = [(meter_id, day) for meter_id, days in dates_by_meter.items() for day in days]
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # The statement's estimated cost is far above jit_above_cost, so PostgreSQL JIT-compiles
        # every refresh: 125 ms instead of 12 ms for one ingest batch on 52 M readings.
        cursor.execute("SET LOCAL jit = off")
        for first in range(0, len(pairs), REFRESH_PAIRS_PER_STATEMENT):
            chunk = pairs[first : first + REFRESH_PAIRS_PER_STATEMENT]
            cursor.execute(
                _REFRESH_SQL,
                {
                    "tz": zone_name,
                    "meter_ids": [meter_id for meter_id, _ in chunk],
                    "days": [day for _, day in chunk],
                    "night_first": NIGHT_FIRST_HOUR,
                    "night_last": NIGHT_LAST_HOUR,
                },
            )
            written += cursor.rowcount
    return written
