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
from django.utils import timezone

from config.errors import NotFound
from energy.models import Commodity, DailyUsage, Meter, Premise, Reading, WeatherObservation
from energy.savings.models import Recommendation, RecommendationKind
from energy.tariffs.billing import daily_costs

PERIODS = ("day", "month", "year")
FIRST_YEAR = 2000  # no meter data before this; earlier periods are not pages
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
    """One of the customer's premises; any other id is NotFound, like an id that does not
    exist."""
    for premise in premises:
        if premise.pk == premise_id:
            return premise
    raise NotFound("No such premise.")


def meter_pick(*, premises: list[Premise], meter_id: int) -> Meter:
    for premise in premises:
        for meter in premise.meters.all():
            if meter.pk == meter_id:
                meter.premise = premise  # already loaded, with its region
                return meter
    raise NotFound("No such meter.")


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
    raise NotFound("Unknown period.")


def period_parse(kind: str, key: str) -> Period:
    """The period named by a URL key; a malformed key is NotFound (it names no page)."""
    formats = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
    if kind not in formats:
        raise NotFound("Unknown period.")
    try:
        day = datetime.strptime(key, formats[kind]).date()  # noqa: DTZ007 - a calendar key
    except ValueError as error:
        raise NotFound("Malformed period.") from error
    period = period_of(kind, day)
    if period.key != key or day.year < FIRST_YEAR:
        raise NotFound("Not a period's name.")  # one URL per page: 2026-01, not 2026-1
    return period


def local_today(*, premise: Premise | None = None) -> date:
    """Today where the premise is (its region's time zone), else in the display time zone."""
    if premise is None:
        return timezone.localdate()
    return timezone.localdate(timezone=premise.region.tzinfo)


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
    # Why some yen or CO2 could not be computed (error codes); empty when all were.
    cost_problems: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return self.meter.get_unit_display()

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
    forecast = (
        Recommendation.objects.filter(meter=meter, kind=RecommendationKind.BILL_FORECAST)
        .only("kind", "basis")
        .first()
    )
    return forecast.hourly_share if forecast else None


def _costs(*, meter: Meter, totals: dict[date, float], hourly_share) -> tuple[dict, list[str]]:
    """Per-day costs (None where a day could not be priced) and the problems' codes."""
    costs = daily_costs(
        premise=meter.premise,
        commodity=meter.commodity,
        daily_totals=totals,
        hourly_share=hourly_share,
    )
    return costs.days, [code for code, _message in costs.problems]


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


def _complete_day(meter: Meter, rows: dict[date, tuple[float, int]], day: date) -> bool:
    """Whether the day has a rollup with every interval (``DailyUsage.objects.complete()``)."""
    return day in rows and rows[day][1] >= meter.intervals_per_day(day)


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
    costs, problems = (
        _costs(meter=meter, totals=totals, hourly_share=hourly_share_for(meter=meter))
        if day in totals
        else ({}, [])
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
            cost = None if day_cost.cost_jpy is None else day_cost.cost_jpy * share
            co2 = None if day_cost.co2_kg is None else day_cost.co2_kg * share
        points.append(UsagePoint(start=slot.astimezone(tz), use=value, cost_jpy=cost, co2_kg=co2))
        slot += step
    return UsageSeries(meter=meter, period=period, points=points, cost_problems=problems)


def usage_month(*, meter: Meter, month: date) -> UsageSeries:
    """Each day of the month from DailyUsage, with the region's daily mean temperature."""
    period = period_of("month", month)
    rows = _daily_rows([meter.pk], [(period.start, period.end)])[meter.pk]
    temperatures = _temperatures(meter.premise.region_id, [(period.start, period.end)])
    costs, problems = _costs(
        meter=meter,
        totals={d: total for d, (total, _n) in rows.items()},
        hourly_share=hourly_share_for(meter=meter),
    )
    points = []
    for offset in range((period.end - period.start).days + 1):
        day = period.start + timedelta(days=offset)
        total, _intervals = rows.get(day, (None, 0))
        cost = costs.get(day)
        points.append(
            UsagePoint(
                start=day,
                use=total,
                cost_jpy=cost.cost_jpy if cost else None,
                co2_kg=cost.co2_kg if cost else None,
                temperature_c=temperatures.get(day),
                complete=total is None or _complete_day(meter, rows, day),
            )
        )
    return UsageSeries(meter=meter, period=period, points=points, cost_problems=problems)


def _months(rows: dict[date, tuple[float, int]], costs: dict, year: int) -> list[UsagePoint]:
    """Each month's sums; yen (CO2) only where every day with use has yen (CO2)."""
    points = []
    for month in range(1, 13):
        days = [d for d in rows if d.year == year and d.month == month]
        if not days:
            points.append(UsagePoint(start=date(year, month, 1), use=None))
            continue
        day_costs = [costs.get(d) for d in days]
        yen = [c.cost_jpy if c else None for c in day_costs]
        co2 = [c.co2_kg if c else None for c in day_costs]
        points.append(
            UsagePoint(
                start=date(year, month, 1),
                use=sum(rows[d][0] for d in days),
                cost_jpy=None if None in yen else sum(yen),
                co2_kg=None if None in co2 else sum(co2),
                complete=len(days) >= calendar.monthrange(year, month)[1],
            )
        )
    return points


def usage_year(*, meter: Meter, year: int) -> UsageSeries:
    """Each month of the year and of the year before, summed from DailyUsage."""
    period = period_of("year", date(year, 1, 1))
    rows = _daily_rows([meter.pk], [(date(year - 1, 1, 1), period.end)])[meter.pk]
    costs, problems = _costs(
        meter=meter,
        totals={d: total for d, (total, _n) in rows.items()},
        hourly_share=hourly_share_for(meter=meter),
    )
    return UsageSeries(
        meter=meter,
        period=period,
        points=_months(rows, costs, year),
        previous_year=_months(rows, costs, year - 1),
        cost_problems=problems,
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
    days: int
    use: float
    cost_jpy: float | None
    co2_kg: float | None
    temperature_c: float | None  # mean of the days' means


@dataclass(frozen=True)
class MonthSoFar:
    """This month's complete days against the same days of last month and of last year.

    The same day numbers are compared in all three months: days of this month that are
    complete (every interval there), up to yesterday and within the shorter earlier month.
    """

    meter: Meter
    day_numbers: list[int]
    this: PeriodFigures | None  # None: no complete day yet this month
    last_month: PeriodFigures | None  # None: one of those days is missing or incomplete
    last_year: PeriodFigures | None
    cost_problems: list[str]

    @property
    def days(self) -> int:
        return len(self.day_numbers)

    @property
    def unit(self) -> str:
        return self.meter.get_unit_display()


def _month_back(month_start: date, months_back: int) -> date:
    index = month_start.year * 12 + month_start.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _whole_month(month: date) -> tuple[date, date]:
    return month, month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _figures(
    rows: dict[date, tuple[float, int]],
    costs: dict,
    temperatures: dict[date, float],
    days: list[date],
    meter: Meter,
) -> PeriodFigures | None:
    if not all(_complete_day(meter, rows, day) for day in days):
        return None
    yen = [costs[day].cost_jpy if day in costs else None for day in days]
    co2 = [costs[day].co2_kg if day in costs else None for day in days]
    temps = [temperatures[day] for day in days if day in temperatures]
    return PeriodFigures(
        start=days[0],
        end=days[-1],
        days=len(days),
        use=sum(rows[day][0] for day in days),
        cost_jpy=None if None in yen else sum(yen),
        co2_kg=None if None in co2 else sum(co2),
        temperature_c=sum(temps) / len(temps) if len(temps) == len(days) else None,
    )


def hourly_shares(recommendations: list[Recommendation]) -> dict[int, list[float]]:
    """Meter id -> use by local hour, from the bill forecasts (time-of-use pricing)."""
    return {r.meter_id: r.hourly_share for r in recommendations if r.hourly_share}


def month_so_far(
    *, premise: Premise, today: date, hourly_shares: dict[int, list]
) -> list[MonthSoFar]:
    """For each meter of the premise: this month's complete days so far, compared."""
    meters = list(premise.meters.all())
    month_start = today.replace(day=1)
    earlier = [_month_back(month_start, 1), _month_back(month_start, 12)]
    # Up to yesterday, and no day number the shorter earlier month lacks.
    last_number = min((today - month_start).days, *(_whole_month(m)[1].day for m in earlier))
    if not meters or last_number < 1:
        return [MonthSoFar(meter, [], None, None, None, []) for meter in meters]
    # Whole earlier months, so each is billed at its whole month's use (its tier or table).
    ranges = [
        (month_start, month_start.replace(day=last_number)),
        *(_whole_month(m) for m in earlier),
    ]
    rows_by_meter = _daily_rows([m.pk for m in meters], ranges)
    temperatures = _temperatures(premise.region_id, ranges)
    result = []
    for meter in meters:
        rows = rows_by_meter.get(meter.pk, {})
        numbers = [
            n
            for n in range(1, last_number + 1)
            if _complete_day(meter, rows, month_start.replace(day=n))
        ]
        if not numbers:
            result.append(MonthSoFar(meter, [], None, None, None, []))
            continue
        costs, problems = _costs(
            meter=meter,
            totals={d: total for d, (total, _n) in rows.items()},
            hourly_share=hourly_shares.get(meter.pk),
        )
        figures = [
            _figures(rows, costs, temperatures, [m.replace(day=n) for n in numbers], meter)
            for m in (month_start, *earlier)
        ]
        result.append(MonthSoFar(meter, numbers, *figures, problems))
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
        raise NotFound("No such recommendation.")
    return recommendation
