"""What the customer portal reads: a customer's own premises and meters, usage by day, month
and year with yen and CO2, this month so far against earlier periods, and recommendations.

Pages read the DailyUsage rollup, never raw readings, except the one-day view (48 half-hours
by the primary key). Every function returns plain data (dataclasses, lists), never querysets,
so charts and CSV are built from exactly the same numbers.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from config.errors import ShoeneError
from energy.models import (
    Commodity,
    DailyUsage,
    Meter,
    Premise,
    Reading,
    Recommendation,
    RecommendationKind,
    RecommendationTemplate,
    WeatherObservation,
)
from energy.tariffs import daily_costs

PERIODS = ("day", "month", "year")
MEASURES = ("use", "yen", "co2")
# Kinds a customer can act on; the "top three" on the home page come from these.
ACTION_KINDS = (
    RecommendationKind.STANDBY,
    RecommendationKind.HEATING,
    RecommendationKind.PEAK_SHIFT,
)


# --- premises and meters ------------------------------------------------------------------------


def customer_premises(*, user) -> list[Premise]:
    """The customer's own premises with their region and meters (two queries).

    The portal is for customers: staff and the data team use the admin and the API, so even
    they see only premises they own here.
    """
    if not user.is_authenticated:
        return []
    return list(
        Premise.objects.filter(owner=user)
        .select_related("region")
        .prefetch_related(
            Prefetch("meters", queryset=Meter.objects.order_by("commodity", "serial"))
        )
        .order_by("pk")
    )


def premise_pick(*, premises: list[Premise], premise_id: int) -> Premise:
    """One of the customer's premises; any other id is 404, like an id that does not exist."""
    for premise in premises:
        if premise.pk == premise_id:
            return premise
    raise Http404("No such premise.")


def meter_pick(*, premises: list[Premise], meter_id: int) -> Meter:
    for premise in premises:
        for meter in premise.meters.all():
            if meter.pk == meter_id:
                meter.premise = premise  # already loaded, with its region
                return meter
    raise Http404("No such meter.")


# --- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A day, a month or a year, named by its key: 2026-11-26, 2026-11 or 2026."""

    kind: str
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y}"

    def shifted(self, steps: int) -> "Period":
        if self.kind == "day":
            return period_of("day", self.start + timedelta(days=steps))
        if self.kind == "month":
            index = self.start.year * 12 + self.start.month - 1 + steps
            return period_of("month", date(index // 12, index % 12 + 1, 1))
        return period_of("year", date(self.start.year + steps, 1, 1))


def period_of(kind: str, day: date) -> Period:
    if kind == "day":
        return Period("day", day, day)
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period("month", day.replace(day=1), day.replace(day=last))
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))
    raise Http404("Unknown period.")


def period_parse(kind: str, key: str) -> Period:
    """The period named by a URL key; a malformed key is 404 (it names no page)."""
    formats = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
    if kind not in formats:
        raise Http404("Unknown period.")
    try:
        day = datetime.strptime(key, formats[kind]).date()  # noqa: DTZ007 - a calendar key
    except ValueError as error:
        raise Http404("Malformed period.") from error
    if not 2000 <= day.year <= 2100:
        raise Http404("Period out of range.")
    return period_of(kind, day)


def local_today() -> date:
    """Today in the service's display time zone (Asia/Tokyo)."""
    return timezone.localdate()


# --- usage series -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsagePoint:
    """One bar: a half-hour, a day or a month. ``use`` in the meter's unit; None = no data."""

    start: datetime | date
    use: float | None
    cost_jpy: float | None = None
    co2_kg: float | None = None
    temperature_c: float | None = None
    complete: bool = True  # False: some of its intervals are missing


@dataclass(frozen=True)
class UsageSeries:
    meter: Meter
    period: Period
    points: list[UsagePoint]
    # Year view: the same months a year earlier, aligned with ``points``.
    previous_year: list[UsagePoint] = field(default_factory=list)
    # Why yen (or CO2) could not be computed, in words for the page; None when they were.
    cost_problem: str | None = None

    @property
    def unit(self) -> str:
        return "kWh" if self.meter.commodity == Commodity.ELECTRICITY else "m³"

    def total(self, measure: str) -> float | None:
        values = [point_value(p, measure) for p in self.points]
        known = [v for v in values if v is not None]
        return sum(known) if known else None


def point_value(point: UsagePoint, measure: str) -> float | None:
    return {"use": point.use, "yen": point.cost_jpy, "co2": point.co2_kg}[measure]


def hourly_share_for(*, meter: Meter) -> list[float] | None:
    """The premise's use by local hour, stored with its bill forecast (time-of-use pricing)."""
    if meter.commodity != Commodity.ELECTRICITY:
        return None
    basis = (
        Recommendation.objects.filter(meter=meter, kind=RecommendationKind.BILL_FORECAST)
        .values_list("basis", flat=True)
        .first()
    )
    return (basis or {}).get("hourly_share")


def _costs(*, meter: Meter, totals: dict[date, float], hourly_share) -> tuple[dict, str | None]:
    """Per-day costs, or the reason they are not available (tariff missing, …)."""
    try:
        return (
            daily_costs(
                premise=meter.premise,
                commodity=meter.commodity,
                daily_totals=totals,
                hourly_share=hourly_share,
            ),
            None,
        )
    except ShoeneError as error:
        return {}, error.message


def _daily_rows(
    meter_ids, ranges: list[tuple[date, date]]
) -> dict[int, dict[date, tuple[float, int]]]:
    """(total, intervals) per meter and local date, for the date ranges (one query)."""
    condition = Q()
    for start, end in ranges:
        condition |= Q(date__range=(start, end))
    rows = DailyUsage.objects.filter(condition, meter_id__in=meter_ids).values_list(
        "meter_id", "date", "total", "intervals"
    )
    by_meter: dict[int, dict[date, tuple[float, int]]] = defaultdict(dict)
    for meter_id, day, total, intervals in rows:
        by_meter[meter_id][day] = (total, intervals)
    return by_meter


def _temperatures(region_id: int, ranges: list[tuple[date, date]]) -> dict[date, float]:
    condition = Q()
    for start, end in ranges:
        condition |= Q(date__range=(start, end))
    return dict(
        WeatherObservation.objects.filter(condition, region_id=region_id).values_list(
            "date", "temperature_mean_c"
        )
    )


def _intervals_per_day(meter: Meter) -> int:
    return 1440 // meter.interval_minutes


def usage_day(*, meter: Meter, day: date) -> UsageSeries:
    """The day's intervals from the readings (local time), yen shared out by use."""
    period = period_of("day", day)
    tz = meter.premise.region.tzinfo
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    readings = dict(
        Reading.objects.filter(
            meter_id=meter.pk, ts__gte=start.astimezone(UTC), ts__lt=end.astimezone(UTC)
        ).values_list("ts", "value")
    )
    # The day's cost comes from its month's bill (the month's known days set the tier).
    month = period_of("month", day)
    totals = {
        d: total
        for d, (total, _n) in _daily_rows([meter.pk], [(month.start, month.end)])[meter.pk].items()
    }
    costs, problem = (
        _costs(meter=meter, totals=totals, hourly_share=hourly_share_for(meter=meter))
        if day in totals
        else ({}, None)
    )
    day_cost = costs.get(day)
    step = timedelta(minutes=meter.interval_minutes)
    points = []
    slot = start.astimezone(UTC)
    while slot < end.astimezone(UTC):
        value = readings.get(slot)
        cost = co2 = None
        if value is not None and day_cost is not None:
            share = value / day_cost.usage if day_cost.usage > 0 else 0.0
            cost = day_cost.cost_jpy * share
            co2 = day_cost.co2_kg * share
        points.append(UsagePoint(start=slot.astimezone(tz), use=value, cost_jpy=cost, co2_kg=co2))
        slot += step
    return UsageSeries(meter=meter, period=period, points=points, cost_problem=problem)


def usage_month(*, meter: Meter, month: date) -> UsageSeries:
    """Each day of the month from DailyUsage, with the region's daily mean temperature."""
    period = period_of("month", month)
    rows = _daily_rows([meter.pk], [(period.start, period.end)])[meter.pk]
    temperatures = _temperatures(meter.premise.region_id, [(period.start, period.end)])
    costs, problem = _costs(
        meter=meter,
        totals={d: total for d, (total, _n) in rows.items()},
        hourly_share=hourly_share_for(meter=meter),
    )
    expected = _intervals_per_day(meter)
    points = []
    for offset in range((period.end - period.start).days + 1):
        day = period.start + timedelta(days=offset)
        total, intervals = rows.get(day, (None, 0))
        cost = costs.get(day)
        points.append(
            UsagePoint(
                start=day,
                use=total,
                cost_jpy=cost.cost_jpy if cost else None,
                co2_kg=cost.co2_kg if cost else None,
                temperature_c=temperatures.get(day),
                complete=total is None or intervals >= expected,
            )
        )
    return UsageSeries(meter=meter, period=period, points=points, cost_problem=problem)


def _months(rows: dict[date, tuple[float, int]], costs: dict, year: int) -> list[UsagePoint]:
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    costed: dict[int, int] = defaultdict(int)
    for day, (total, _n) in rows.items():
        if day.year != year:
            continue
        entry = sums[day.month]
        entry[0] += total
        entry[3] += 1
        cost = costs.get(day)
        if cost is not None:
            entry[1] += cost.cost_jpy
            entry[2] += cost.co2_kg
            costed[day.month] += 1
    points = []
    for month in range(1, 13):
        entry = sums.get(month)
        days = calendar.monthrange(year, month)[1]
        if entry is None:
            points.append(UsagePoint(start=date(year, month, 1), use=None))
            continue
        priced = costed[month] == entry[3]
        points.append(
            UsagePoint(
                start=date(year, month, 1),
                use=entry[0],
                cost_jpy=entry[1] if priced else None,
                co2_kg=entry[2] if priced else None,
                complete=entry[3] >= days,
            )
        )
    return points


def usage_year(*, meter: Meter, year: int) -> UsageSeries:
    """Each month of the year and of the year before, summed from DailyUsage."""
    period = period_of("year", date(year, 1, 1))
    rows = _daily_rows([meter.pk], [(date(year - 1, 1, 1), period.end)])[meter.pk]
    costs, problem = _costs(
        meter=meter,
        totals={d: total for d, (total, _n) in rows.items()},
        hourly_share=hourly_share_for(meter=meter),
    )
    return UsageSeries(
        meter=meter,
        period=period,
        points=_months(rows, costs, year),
        previous_year=_months(rows, costs, year - 1),
        cost_problem=problem,
    )


def usage_series(*, meter: Meter, period: Period) -> UsageSeries:
    if period.kind == "day":
        return usage_day(meter=meter, day=period.start)
    if period.kind == "month":
        return usage_month(meter=meter, month=period.start)
    return usage_year(meter=meter, year=period.start.year)


# --- home: this month so far --------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    start: date
    end: date
    use: float
    cost_jpy: float | None
    co2_kg: float | None
    temperature_c: float | None  # mean of the days' means


@dataclass(frozen=True)
class MonthSoFar:
    """This month's complete days against the same days of last month and of last year."""

    meter: Meter
    days: int  # complete days so far (0: none yet this month)
    this: PeriodFigures | None
    last_month: PeriodFigures | None  # None: those days are not all there
    last_year: PeriodFigures | None
    cost_problem: str | None

    @property
    def unit(self) -> str:
        return "kWh" if self.meter.commodity == Commodity.ELECTRICITY else "m³"


def _same_days(month_start: date, months_back: int, days: int) -> tuple[date, date]:
    index = month_start.year * 12 + month_start.month - 1 - months_back
    first = date(index // 12, index % 12 + 1, 1)
    last_day = min(days, calendar.monthrange(first.year, first.month)[1])
    return first, first.replace(day=last_day)


def _figures(
    rows: dict[date, tuple[float, int]],
    costs: dict,
    temperatures: dict[date, float],
    start: date,
    end: date,
) -> PeriodFigures | None:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if any(day not in rows for day in days):
        return None
    priced = all(day in costs for day in days)
    temps = [temperatures[day] for day in days if day in temperatures]
    return PeriodFigures(
        start=start,
        end=end,
        use=sum(rows[day][0] for day in days),
        cost_jpy=sum(costs[day].cost_jpy for day in days) if priced else None,
        co2_kg=sum(costs[day].co2_kg for day in days) if priced else None,
        temperature_c=sum(temps) / len(temps) if len(temps) == len(days) else None,
    )


def month_so_far(
    *, premise: Premise, today: date, hourly_shares: dict[int, list]
) -> list[MonthSoFar]:
    """For each meter of the premise: days 1 to yesterday (or the last day with data)."""
    meters = list(premise.meters.all())
    if not meters:
        return []
    month_start = today.replace(day=1)
    days = (today - month_start).days  # complete days: up to yesterday
    if not days:
        return [MonthSoFar(meter, 0, None, None, None, None) for meter in meters]
    # Whole earlier months, so each is billed at its whole month's use (its tier or table).
    months = [
        (month_start, today - timedelta(days=1)),
        _same_days(month_start, 1, 31),
        _same_days(month_start, 12, 31),
    ]
    rows_by_meter = _daily_rows([m.pk for m in meters], months)
    temperatures = _temperatures(premise.region_id, months)
    result = []
    for meter in meters:
        rows = rows_by_meter.get(meter.pk, {})
        # The month so far ends on the last day with data (a late delivery shortens it).
        this_days = 0
        while this_days < days and month_start + timedelta(days=this_days) in rows:
            this_days += 1
        if not this_days:
            result.append(MonthSoFar(meter, 0, None, None, None, None))
            continue
        costs, problem = _costs(
            meter=meter,
            totals={d: total for d, (total, _n) in rows.items()},
            hourly_share=hourly_shares.get(meter.pk),
        )
        figures = [
            _figures(rows, costs, temperatures, *_same_days(month_start, back, this_days))
            for back in (0, 1, 12)
        ]
        result.append(MonthSoFar(meter, this_days, *figures, problem))
    return result


# --- recommendations ----------------------------------------------------------------------------


def premise_recommendations(*, premise: Premise) -> list[Recommendation]:
    """The premise's current recommendations, most valuable first (one query)."""
    recommendations = list(
        Recommendation.objects.filter(premise=premise, is_current=True).select_related("meter")
    )
    recommendations.sort(key=lambda r: (-(r.saving_jpy or 0.0), r.kind, r.meter_id or 0))
    return recommendations


def premise_recommendation(*, premises: list[Premise], recommendation_id: int) -> Recommendation:
    ids = [premise.pk for premise in premises]
    recommendation = (
        Recommendation.objects.filter(pk=recommendation_id, premise_id__in=ids, is_current=True)
        .select_related("meter")
        .first()
    )
    if recommendation is None:
        raise Http404("No such recommendation.")
    return recommendation


def recommendation_templates() -> dict[str, RecommendationTemplate]:
    """The wording of every kind, by kind (one query)."""
    return {template.kind: template for template in RecommendationTemplate.objects.all()}
