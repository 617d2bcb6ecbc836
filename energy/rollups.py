"""DailyUsage: each meter's readings rolled up per local day, recomputed in the database."""

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Max, Min, Q, Sum, Window
from django.db.models.functions import ExtractHour, RowNumber, TruncDate

from energy.models import DailyUsage, Meter, Reading

# The "night" window used for standby baseload, local time: 01:00 up to 05:00.
NIGHT_FIRST_HOUR = 1
NIGHT_LAST_HOUR = 4


def local_dates_touched(*, meter_epochs: Iterable[tuple[int, int]]) -> dict[int, set[date]]:
    """Map (meter id, interval start epoch) pairs to the local dates they fall on, per meter."""
    epochs_by_meter: dict[int, set[int]] = defaultdict(set)
    for meter_id, epoch in meter_epochs:
        epochs_by_meter[meter_id].add(epoch)
    zones = dict(
        Meter.objects.filter(pk__in=epochs_by_meter).values_list("pk", "premise__region__time_zone")
    )
    touched: dict[int, set[date]] = {}
    for meter_id, epochs in epochs_by_meter.items():
        tz = zoneinfo.ZoneInfo(zones[meter_id])
        # Many intervals share a day: convert each distinct UTC hour only once.
        hours = {epoch - epoch % 3600 for epoch in epochs}
        touched[meter_id] = {datetime.fromtimestamp(h, tz=UTC).astimezone(tz).date() for h in hours}
    return touched


def daily_usage_refresh(*, dates_by_meter: dict[int, set[date]]) -> int:
    """Recompute DailyUsage for these meters and local dates; return the rows written.

    Idempotent: the days are rebuilt from all their stored readings, whatever was there.
    """
    if not dates_by_meter:
        return 0
    zones = dict(
        Meter.objects.filter(pk__in=dates_by_meter).values_list("pk", "premise__region__time_zone")
    )
    meters_by_zone: dict[str, list[int]] = defaultdict(list)
    for meter_id in dates_by_meter:
        meters_by_zone[zones[meter_id]].append(meter_id)

    written = 0
    for zone_name, meter_ids in meters_by_zone.items():
        tz = zoneinfo.ZoneInfo(zone_name)
        wanted = {(m, d) for m in meter_ids for d in dates_by_meter[m]}
        all_dates = {d for _, d in wanted}
        start = datetime.combine(min(all_dates), time(), tzinfo=tz)
        end = datetime.combine(max(all_dates) + timedelta(days=1), time(), tzinfo=tz)
        rows = _aggregate(meter_ids, start, end, tz)
        peaks = _peak_times(meter_ids, start, end, tz)
        objs = [
            DailyUsage(meter_id=meter_id, date=day, peak_at=peaks[(meter_id, day)], **values)
            for (meter_id, day), values in rows.items()
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
                "computed_at",
            ],
        )
        written += len(objs)
    return written


def _readings(meter_ids: list[int], start: datetime, end: datetime, tz: zoneinfo.ZoneInfo):
    return Reading.objects.filter(meter_id__in=meter_ids, ts__gte=start, ts__lt=end).annotate(
        day=TruncDate("ts", tzinfo=tz),
    )


def _aggregate(meter_ids, start, end, tz) -> dict[tuple[int, date], dict]:
    night = Q(hour__gte=NIGHT_FIRST_HOUR, hour__lte=NIGHT_LAST_HOUR)
    rows = (
        _readings(meter_ids, start, end, tz)
        .annotate(hour=ExtractHour("ts", tzinfo=tz))
        .values("meter_id", "day")
        .annotate(
            total=Sum("value"),
            baseload=Min("value"),
            peak=Max("value"),
            night=Sum("value", filter=night, default=0.0),
            intervals=Count("*"),
        )
        .order_by()
    )
    return {
        (row["meter_id"], row["day"]): {
            "total": row["total"],
            "baseload": row["baseload"],
            "peak": row["peak"],
            "night_total": row["night"],
            "intervals": row["intervals"],
        }
        for row in rows
    }


def _peak_times(meter_ids, start, end, tz) -> dict[tuple[int, date], datetime]:
    """The start of each day's largest interval (the earliest, on a tie)."""
    ranked = (
        _readings(meter_ids, start, end, tz)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("meter_id"), F("day")],
                order_by=[F("value").desc(), F("ts").asc()],
            ),
        )
        .filter(rank=1)
        .values_list("meter_id", "day", "ts")
    )
    return {(meter_id, day): ts for meter_id, day, ts in ranked}
