"""Experiment metrics, per customer (the unit): after exposure, and before it (for CUPED).

Energy metrics come from DailyUsage after each customer's exposure date (their local day), and
their pre-exposure value is the same metric over the 28 days before it. Every metric is an
average per day, so customers exposed on different days compare fairly.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from flags.models import Metric

PRE_EXPOSURE_DAYS = 28
# Which way is better: guardrails flag a significant change the wrong way.
LOWER_IS_BETTER = {Metric.DAILY_KWH: True, Metric.DAILY_GAS_M3: True}
ACTION_KINDS = ("standby", "heating", "peak_shift")


@dataclass(frozen=True)
class UnitValue:
    post: float
    pre: float | None


@dataclass(frozen=True)
class ExposedUnit:
    user_id: int
    variant_id: int
    exposed_on: date  # local date of the first exposure


def _energy(units: list[ExposedUnit], *, commodity: str, end: date) -> dict[int, UnitValue]:
    from energy.selectors import daily_means_by_owner

    if not units:
        return {}
    periods = []
    for unit in units:
        periods.append((unit.user_id, unit.exposed_on, end))
        periods.append(
            (
                unit.user_id,
                unit.exposed_on - timedelta(days=PRE_EXPOSURE_DAYS),
                unit.exposed_on - timedelta(days=1),
            )
        )
    # One statement for every unit's two periods: the database averages the daily rollups.
    means = daily_means_by_owner(commodity=commodity, periods=periods)
    values = {}
    for i, unit in enumerate(units):
        post, pre = means[2 * i], means[2 * i + 1]
        if post is not None:
            values[unit.user_id] = UnitValue(post=post, pre=pre)
    return values


def _done_rate(
    units: list[ExposedUnit], *, end: date, unit_ids: list[int] | QuerySet
) -> dict[int, UnitValue]:
    """Share of the customer's actionable recommendations marked done after (before) exposure."""
    from energy.selectors import recommendation_statuses_by_owner

    rows = recommendation_statuses_by_owner(owner_ids=unit_ids, kinds=ACTION_KINDS)
    by_user: dict[int, list] = defaultdict(list)
    for user_id, status, changed_at in rows:
        by_user[user_id].append((status, changed_at))
    values = {}
    for unit in units:
        recommendations = by_user.get(unit.user_id)
        if not recommendations:
            continue
        done = [
            timezone.localdate(changed_at)
            for status, changed_at in recommendations
            if status == "done" and changed_at is not None
        ]
        total = len(recommendations)
        values[unit.user_id] = UnitValue(
            post=sum(1 for d in done if unit.exposed_on <= d <= end) / total,
            pre=sum(1 for d in done if d < unit.exposed_on) / total,
        )
    return values


def _visits(
    units: list[ExposedUnit], *, end: date, unit_ids: list[int] | QuerySet
) -> dict[int, UnitValue]:
    from flags.models import PortalVisit

    first = min(u.exposed_on for u in units) - timedelta(days=PRE_EXPOSURE_DAYS)
    rows = PortalVisit.objects.filter(
        user_id__in=unit_ids, date__gte=first, date__lte=end
    ).values_list("user_id", "date")
    by_user: dict[int, list[date]] = defaultdict(list)
    for user_id, day in rows:
        by_user[user_id].append(day)
    values = {}
    for unit in units:
        days = by_user.get(unit.user_id, [])
        exposed_days = (end - unit.exposed_on).days + 1
        if exposed_days < 1:
            continue
        pre_start = unit.exposed_on - timedelta(days=PRE_EXPOSURE_DAYS)
        values[unit.user_id] = UnitValue(
            post=sum(1 for d in days if unit.exposed_on <= d <= end) / exposed_days,
            pre=sum(1 for d in days if pre_start <= d < unit.exposed_on) / PRE_EXPOSURE_DAYS,
        )
    return values


def metric_values(
    *, metric: str, units: list[ExposedUnit], end: date, unit_ids: QuerySet | None = None
) -> dict[int, UnitValue]:
    """Each unit's value of the metric (units without data are left out).

    ``unit_ids``: the units' user ids as a subquery (``flags.selectors.exposed_user_ids``),
    where there is one; PostgreSQL reads it faster than a list of thousands of ids. It may hold
    more ids than ``units`` (exposures recorded since), never fewer.
    """
    if not units:
        return {}
    if unit_ids is None:
        unit_ids = [u.user_id for u in units]
    if metric == Metric.DAILY_KWH:
        return _energy(units, commodity="electricity", end=end)
    if metric == Metric.DAILY_GAS_M3:
        return _energy(units, commodity="gas", end=end)
    if metric == Metric.DONE_RATE:
        return _done_rate(units, end=end, unit_ids=unit_ids)
    if metric == Metric.PORTAL_VISITS:
        return _visits(units, end=end, unit_ids=unit_ids)
    raise ValueError(f"Unknown metric {metric!r}")


def exposed_units(*, experiment_id: int) -> list[ExposedUnit]:
    from flags.models import Exposure

    # The local date in the database (TruncDate in the current time zone, as
    # timezone.localdate): converting thousands of datetimes in Python took longer.
    return [
        ExposedUnit(user_id, variant_id, exposed_on)
        for user_id, variant_id, exposed_on in Exposure.objects.filter(experiment_id=experiment_id)
        # In one order: the sums behind the results then come out the same to the last digit.
        .order_by("user_id")
        .values_list("user_id", "variant_id", TruncDate("exposed_at"))
    ]


def exposure_counts(*, experiment_id: int) -> dict[int, int]:
    from flags.models import Exposure

    return dict(
        Exposure.objects.filter(experiment_id=experiment_id)
        .values_list("variant_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
