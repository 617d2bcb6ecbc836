"""Reading billing periods: a meter's bill history, and the arrays the savings engine takes."""

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import models

from energy.bills.models import BillingPeriod
from energy.models import Meter


def meter_billing_periods(
    *, meter: Meter, start: date | None = None, end: date | None = None
) -> list[BillingPeriod]:
    """The meter's bills (periods of two days or more) sharing a day with ``start``..``end``,
    oldest first. One-day periods are a daily-binned feed's days: daily use, not bills."""
    rows = BillingPeriod.objects.filter(meter=meter, end__gt=models.F("start"))
    if start is not None:
        rows = rows.filter(end__gte=start)
    if end is not None:
        rows = rows.filter(start__lte=end)
    return list(rows.order_by("start"))


def meter_has_billing_periods(*, meter: Meter) -> bool:
    """Whether the meter has bills (one-day periods are daily use, not bills)."""
    return BillingPeriod.objects.filter(meter=meter, end__gt=models.F("start")).exists()


def meter_one_day_usage(
    *, meter: Meter, start: date | None = None, end: date | None = None
) -> dict[date, float]:
    """The meter's one-day periods (a daily-binned feed's days), as use per local day."""
    rows = BillingPeriod.objects.filter(meter=meter, end=models.F("start"))
    if start is not None:
        rows = rows.filter(start__gte=start)
    if end is not None:
        rows = rows.filter(start__lte=end)
    return dict(rows.values_list("start", "usage"))


def meter_last_one_day(*, meter: Meter) -> date | None:
    return (
        BillingPeriod.objects.filter(meter=meter, end=models.F("start"))
        .order_by("-start")
        .values_list("start", flat=True)
        .first()
    )


@dataclass(frozen=True)
class PeriodArrays:
    """Billing periods as the savings engine reads them (``ends`` are the last days)."""

    starts: np.ndarray  # datetime64[D]
    ends: np.ndarray  # datetime64[D]
    usage: np.ndarray
    estimated: np.ndarray  # bool


def meter_billing_arrays(*, meter: Meter, end: date | None = None) -> PeriodArrays:
    """The meter's bills for the billing method (not its one-day periods: daily use)."""
    rows = BillingPeriod.objects.filter(meter=meter, end__gt=models.F("start")).order_by("start")
    if end is not None:
        rows = rows.filter(end__lte=end)
    values = list(rows.values_list("start", "end", "usage", "estimated"))
    return PeriodArrays(
        starts=np.array([row[0] for row in values], dtype="datetime64[D]"),
        ends=np.array([row[1] for row in values], dtype="datetime64[D]"),
        usage=np.array([row[2] for row in values], dtype=float),
        estimated=np.array([row[3] for row in values], dtype=bool),
    )
