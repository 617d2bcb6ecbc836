"""What a Green Button export reads."""

from datetime import datetime

from energy.models import Meter, Reading


def meter_readings_between(
    *, meter: Meter, start: datetime, end: datetime
) -> list[tuple[datetime, float, str]]:
    """(interval start, value, quality) of a meter's readings in [start, end), by time."""
    return list(
        Reading.objects.filter(meter=meter, ts__gte=start, ts__lt=end)
        .order_by("ts")
        .values_list("ts", "value", "quality")
    )
