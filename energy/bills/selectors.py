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
    """The meter's billing periods sharing a day with ``start``..``end``, oldest first."""
    rows = BillingPeriod.objects.filter(meter=meter)
    if start is not None:
        rows = rows.filter(end__gte=start)
    if end is not None:
        rows = rows.filter(start__lte=end)
    return list(rows.order_by("start"))


def meter_has_billing_periods(*, meter: Meter) -> bool:
    return BillingPeriod.objects.filter(meter=meter).exists()


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
    rows = BillingPeriod.objects.filter(meter=meter).order_by("start")
    if end is not None:
        rows = rows.filter(end__lte=end)
    values = list(rows.values_list("start", "end", "usage", "estimated"))
    return PeriodArrays(
        starts=np.array([row[0] for row in values], dtype="datetime64[D]"),
        ends=np.array([row[1] for row in values], dtype="datetime64[D]"),
        usage=np.array([row[2] for row in values], dtype=float),
        estimated=np.array([row[3] for row in values], dtype=bool),
    )
