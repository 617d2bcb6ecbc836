"""Recommendations for many premises at once: bulk loading, cohorts, persistence.

``recommendations_generate`` reads DailyUsage for a batch of premises in one query into
numpy arrays (meters × days), never per premise. Cohort statistics need every home, not
just the premises being recomputed: a run over all premises (the nightly job) builds them
from its own figures and caches them for the day; a run over a few premises (after ingest)
uses that cache, or computes the population once if the cache is empty.
"""

import logging
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

import numpy as np
import orjson
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from energy.models import DailyUsage, Meter, Premise, WeatherObservation, intervals_per_day
from energy.savings import fuel as heating_fuels
from energy.savings import plausibility, recommend
from energy.savings.caltrack import DataInsufficient, baseline_fit
from energy.savings.climate import climate_normals, normals_for
from energy.savings.cohorts import CohortIndex, Home
from energy.savings.models import Recommendation
from energy.savings.pricing import (
    PEAK_WINDOW_DAYS,
    BatchPricing,
    batch_pricing_load,
    emission_factors_load,
    hourly_use_load,
    hours_label,
    peak_band,
)
from energy.savings.services import daily_totals_filled

logger = logging.getLogger(__name__)

BATCH_PREMISES = 500
YEAR_DAYS = 365
# The baseline year ends before the high-usage week, so an unusual week cannot hide itself
# by pulling the model up.
WINDOW_DAYS = YEAR_DAYS + recommend.HIGH_USAGE_DAYS
POPULATION_CACHE_SECONDS = 26 * 3600  # a day, plus slack for a late nightly run
# Annual use from raw days needs most of the year (CalTRACK 2.2.1.2's 90 % for a baseline).
ANNUAL_MIN_COVERAGE = 0.9


@dataclass
class MeterFacts:
    """What one meter's recommendations need, computed from its DailyUsage arrays."""

    meter_id: int
    premise_id: int
    commodity: str
    unit: str
    region_id: int
    region: str
    time_zone: str
    dwelling_type: str
    household_size: int
    floor_area_m2: float = float("nan")
    heating_fuel_recorded: str = ""
    # Recorded on the premise, else inferred from its meters (``premise_heating_fuels``).
    heating_fuel: str = heating_fuels.UNKNOWN
    heating_fuel_basis: dict = field(default_factory=dict)
    # The region's names for customers (``region`` is its identifier, which cohorts group by).
    region_ja: str = ""
    region_en: str = ""
    standby_kwh_per_day: float = float("nan")
    standby_days: int = 0  # weather-neutral days of the last year with a night minimum
    standby_window_days: int = 0  # weather-neutral days of the last year
    annual_use: float = float("nan")
    annual_coverage: float = 0.0
    annual_normalised: bool = False
    model: object | None = None
    model_reasons: list[str] = field(default_factory=list)
    week_usage: np.ndarray | None = None
    week_temperature_c: np.ndarray | None = None
    month_usage: np.ndarray | None = None
    monthly_use: float = float("nan")  # a typical month's use, to find the marginal price


@dataclass(frozen=True)
class PopulationEntry:
    """One meter's figures that cohorts compare (small: cached for the day)."""

    commodity: str
    region: str
    dwelling_type: str
    household_size: int
    heating_fuel: str
    standby_kwh_per_day: float
    annual_use: float
    # Heating slope per 100 m² of floor area, on the meter of the fuel that heats the home.
    heating_per_100m2: float


@dataclass
class GenerateSummary:
    premises: int = 0
    meters: int = 0
    created: int = 0
    updated: int = 0
    retired: int = 0
    skipped: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    capped: Counter = field(default_factory=Counter)  # estimates beyond their cap, by kind
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "premises": self.premises,
            "meters": self.meters,
            "created": self.created,
            "updated": self.updated,
            "retired": self.retired,
            "skipped": {kind: dict(reasons) for kind, reasons in self.skipped.items()},
            "capped": dict(self.capped),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Climate:
    """Per region: observed daily mean temperature by date, and the normal of each day."""

    start: date
    temperature_c: dict[int, np.ndarray]  # region id -> per day from ``start`` (NaN missing)
    normals_c: dict[int, np.ndarray]  # region id -> 365 calendar-day normals

    def observed(self, region_id: int, first: date, days: int) -> np.ndarray:
        series = self.temperature_c.get(region_id)
        offset = (first - self.start).days
        out = np.full(days, np.nan)
        if series is None:
            return out
        lo, hi = max(offset, 0), min(offset + days, series.size)
        if hi > lo:
            out[lo - offset : hi - offset] = series[lo:hi]
        return out


# A day counts as weather-neutral when the model's heating and cooling part is under this
# share of its weather-independent intercept.
WEATHER_NEUTRAL_SHARE = 0.1


def weather_neutral_days(*, model, temperature_c: np.ndarray) -> np.ndarray:
    """Days on which the model expects (almost) no heating or cooling.

    Without a model every day with a temperature counts (nothing says which days heat).
    """
    temperature_c = np.asarray(temperature_c, dtype=float)
    neutral = np.isfinite(temperature_c)
    if model is None:
        return neutral
    with np.errstate(invalid="ignore"):
        weather_part = model.predict(temperature_c) - model.intercept
        return neutral & (weather_part <= WEATHER_NEUTRAL_SHARE * model.intercept)


def _chunks(values: list[int], size: int):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def climate_load(*, today: date) -> Climate:
    """Every region's temperatures up to today (one query) and their climate normals."""
    rows = WeatherObservation.objects.filter(date__lte=today).values_list(
        "region_id", "date", "temperature_mean_c"
    )
    by_region: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for region_id, day, temperature in rows.iterator(chunk_size=10_000):
        dates, temps = by_region[region_id]
        dates.append(day)
        temps.append(temperature)
    start = today - timedelta(days=WINDOW_DAYS)
    temperature_c, normals_c = {}, {}
    for region_id, (dates, temps) in by_region.items():
        dates_np = np.array(dates, dtype="datetime64[D]")
        temps_np = np.array(temps, dtype=float)
        normals_c[region_id] = climate_normals(dates=dates_np, temperature_c=temps_np)
        series = np.full(WINDOW_DAYS + 1, np.nan)
        index = (dates_np - np.datetime64(start, "D")).astype(int)
        keep = (index >= 0) & (index < series.size)
        series[index[keep]] = temps_np[keep]
        temperature_c[region_id] = series
    return Climate(start=start, temperature_c=temperature_c, normals_c=normals_c)


_DAILY_SQL = """
SELECT meter_id, date - %(start)s::date, total, baseload, intervals
FROM energy_dailyusage
WHERE meter_id = ANY(%(meter_ids)s) AND date >= %(start)s AND date < %(end)s
ORDER BY meter_id, date
"""


def _daily_matrix(meter_ids: list[int], start: date, days: int):
    """(total, baseload, intervals) as meters × days arrays (NaN where no row), one query."""
    position = {meter_id: i for i, meter_id in enumerate(meter_ids)}
    shape = (len(meter_ids), days)
    totals, baseloads, intervals = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape)
    end = start + timedelta(days=days)
    if connection.vendor == "postgresql":
        # Day offsets computed by the database: no date objects per row in Python.
        with connection.cursor() as cursor:
            cursor.execute(_DAILY_SQL, {"start": start, "end": end, "meter_ids": meter_ids})
            rows = np.array(cursor.fetchall(), dtype=float).reshape(-1, 5)
        m = np.searchsorted(np.asarray(meter_ids), rows[:, 0].astype(np.int64))
        d = rows[:, 1].astype(np.int64)
        totals[m, d], baseloads[m, d], intervals[m, d] = rows[:, 2], rows[:, 3], rows[:, 4]
        return totals, baseloads, intervals
    rows = list(
        DailyUsage.objects.filter(meter_id__in=meter_ids, date__gte=start, date__lt=end)
        .order_by("meter", "date")
        .values_list("meter_id", "date", "total", "baseload", "intervals")
    )
    if rows:
        meter_col, date_col, total_col, base_col, interval_col = zip(*rows, strict=True)
        m = np.fromiter((position[x] for x in meter_col), dtype=np.int64, count=len(rows))
        d = (np.array(date_col, dtype="datetime64[D]") - np.datetime64(start, "D")).astype(int)
        totals[m, d] = np.array(total_col, dtype=float)
        baseloads[m, d] = np.array(base_col, dtype=float)
        intervals[m, d] = np.array(interval_col, dtype=float)
    return totals, baseloads, intervals


def meter_facts_load(*, premise_ids: list[int], today: date, climate: Climate) -> list[MeterFacts]:
    """Facts for every meter of these premises: two queries (meters, DailyUsage)."""
    meters = list(
        Meter.objects.filter(premise_id__in=premise_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "premise_id",
            "commodity",
            "unit",
            "interval_minutes",
            "premise__region_id",
            "premise__region__name",
            "premise__region__time_zone",
            "premise__dwelling_type",
            "premise__household_size",
            "premise__floor_area_m2",
            "premise__heating_fuel",
            "premise__region__name_ja",
            "premise__region__name_en",
        )
    )
    if not meters:
        return []
    start = today - timedelta(days=WINDOW_DAYS)
    totals, baseloads, intervals = _daily_matrix([m[0] for m in meters], start, WINDOW_DAYS)
    year = slice(WINDOW_DAYS - YEAR_DAYS, WINDOW_DAYS)  # the last 365 days before today
    model_year = slice(0, YEAR_DAYS)  # the 365 days before the last week
    week = slice(WINDOW_DAYS - recommend.HIGH_USAGE_DAYS, WINDOW_DAYS)
    month_days = today.day - 1
    month = slice(WINDOW_DAYS - month_days, WINDOW_DAYS)
    empty_window = np.full(WINDOW_DAYS, np.nan)
    temperatures = {
        region_id: climate.observed(region_id, start, WINDOW_DAYS)
        for region_id in {meter[5] for meter in meters}
    }
    window_days = [start + timedelta(days=offset) for offset in range(WINDOW_DAYS)]
    # Each day's complete interval count (23- and 25-hour days too), once per grid and zone.
    expected = {
        (interval, zone): np.array(
            [
                intervals_per_day(interval_minutes=interval, day=day, time_zone=zone)
                for day in window_days
            ]
        )
        for interval, zone in {(meter[4], meter[7]) for meter in meters}
    }

    facts = []
    for row, meter in enumerate(meters):
        (
            meter_id,
            premise_id,
            commodity,
            unit,
            interval,
            region_id,
            region,
            zone,
            dwelling,
            size,
            floor_area,
            fuel_recorded,
            region_ja,
            region_en,
        ) = meter
        fact = MeterFacts(
            meter_id=meter_id,
            premise_id=premise_id,
            commodity=commodity,
            unit=unit,
            region_id=region_id,
            region=region,
            time_zone=zone,
            dwelling_type=dwelling,
            household_size=size,
            floor_area_m2=float(floor_area) if floor_area is not None else float("nan"),
            heating_fuel_recorded=fuel_recorded or "",
            region_ja=region_ja,
            region_en=region_en,
        )
        # Days with at most half their intervals missing, scaled up (CalTRACK 2.2.2.1).
        usage = daily_totals_filled(
            totals=totals[row], intervals=intervals[row], expected=expected[interval, zone]
        )
        year_usage = usage[year]
        present = np.isfinite(year_usage)
        fact.annual_coverage = float(present.mean())
        normals = climate.normals_c.get(region_id)
        try:
            fact.model = baseline_fit(
                temperature_c=temperatures[region_id][model_year]
                if region_id in temperatures
                else np.full(YEAR_DAYS, np.nan),
                usage=usage[model_year],
                commodity=commodity,
            )
        except DataInsufficient as exc:
            fact.model_reasons = list(exc.reasons)
        if commodity == "electricity":
            # Standby is the night minimum on days without heating or cooling: on a cold night
            # a heat pump's minimum is heating, not standby.
            neutral = weather_neutral_days(
                model=fact.model, temperature_c=temperatures[region_id][year]
            )
            window = baseloads[row, year][neutral]
            fact.standby_window_days = int(neutral.sum())
            fact.standby_days = int(np.isfinite(window).sum())
            fact.standby_kwh_per_day = recommend.standby_kwh_per_day(
                baseload=window, intervals_per_day=intervals_per_day(interval_minutes=interval)
            )
        if fact.model is not None and normals is not None and np.all(np.isfinite(normals)):
            # Weather-normalised annual use: the model over a climate-normal year.
            fact.annual_use = float(fact.model.predict(normals).sum())
            fact.annual_normalised = True
        elif fact.annual_coverage >= ANNUAL_MIN_COVERAGE:
            fact.annual_use = float(year_usage[present].mean()) * YEAR_DAYS
        if np.isfinite(fact.annual_use):
            fact.monthly_use = fact.annual_use / 12
        elif present.any():
            fact.monthly_use = float(year_usage[present].mean()) * YEAR_DAYS / 12
        fact.week_usage = usage[week]
        fact.week_temperature_c = temperatures.get(region_id, empty_window)[week]
        fact.month_usage = usage[month] if month_days else np.empty(0)
        facts.append(fact)
    premise_heating_fuels(facts)
    return facts


def premise_heating_fuels(facts: list[MeterFacts]) -> None:
    """Set each fact's heating fuel: the premise's recorded one, else inferred from the heating
    slopes of its meters (``energy.savings.fuel``)."""
    by_premise: dict[int, list[MeterFacts]] = defaultdict(list)
    for fact in facts:
        by_premise[fact.premise_id].append(fact)
    for premise_facts in by_premise.values():
        slopes: dict[str, float | None] = {"electricity": None, "gas": None}
        for fact in premise_facts:
            if fact.model is not None and fact.model.beta_hdd > 0:
                slopes[fact.commodity] = (slopes[fact.commodity] or 0.0) + fact.model.beta_hdd
        recorded = premise_facts[0].heating_fuel_recorded
        if recorded:
            fuel, basis = recorded, {"method": "recorded on the premise"}
        else:
            fuel, basis = heating_fuels.heating_fuel_infer(
                electricity_kwh_per_hdd=slopes["electricity"],
                gas_m3_per_hdd=slopes["gas"],
                # A meter without a year's model could be the one that heats the home.
                every_meter_modelled=all(fact.model is not None for fact in premise_facts),
            )
        for fact in premise_facts:
            fact.heating_fuel, fact.heating_fuel_basis = fuel, basis


def _population_entry(fact: MeterFacts) -> PopulationEntry:
    heats = heating_fuels.heating_meter_commodity(fact.heating_fuel) == fact.commodity
    return PopulationEntry(
        commodity=fact.commodity,
        region=fact.region,
        dwelling_type=fact.dwelling_type,
        household_size=fact.household_size,
        heating_fuel=fact.heating_fuel,
        standby_kwh_per_day=fact.standby_kwh_per_day,
        annual_use=fact.annual_use,
        heating_per_100m2=(
            fact.model.beta_hdd * 100.0 / fact.floor_area_m2
            if heats
            and fact.model is not None
            and fact.model.beta_hdd > 0
            and fact.floor_area_m2 > 0
            else float("nan")
        ),
    )


def _population_cache_key(today: date) -> str:
    """The day's key, with PopulationEntry's field names in it: after a deploy that changes
    them, a run never reads the entries an older version cached that day."""
    shape = ",".join(f.name for f in fields(PopulationEntry))
    return f"recommendations:population:{zlib.crc32(shape.encode()):08x}:{today.isoformat()}"


def population_load(
    *, facts: list[MeterFacts], premise_ids: list[int], today: date, climate: Climate
) -> dict[int, PopulationEntry]:
    """Every meter's cohort figures: this run's own when it covers all premises, else cached."""
    population = {fact.meter_id: _population_entry(fact) for fact in facts}
    key = _population_cache_key(today)
    if Premise.objects.count() > len(premise_ids):
        cached = cache.get(key)
        if cached is None:
            done = set(premise_ids)
            others = [
                pk
                for pk in Premise.objects.order_by("pk").values_list("pk", flat=True)
                if pk not in done
            ]
            cached = {}
            for chunk in _chunks(others, BATCH_PREMISES):
                for fact in meter_facts_load(premise_ids=chunk, today=today, climate=climate):
                    cached[fact.meter_id] = _population_entry(fact)
        population = {**cached, **population}
    cache.set(key, population, POPULATION_CACHE_SECONDS)
    return population


@dataclass(frozen=True)
class Cohorts:
    standby: CohortIndex
    annual: dict[str, CohortIndex]  # by commodity
    heating: dict[str, CohortIndex]


def cohorts_build(*, population: dict[int, PopulationEntry]) -> Cohorts:
    def index(commodity: str, attribute: str) -> CohortIndex:
        return CohortIndex(
            [
                Home(
                    region=e.region,
                    dwelling_type=e.dwelling_type,
                    household_size=e.household_size,
                    heating_fuel=e.heating_fuel,
                    value=getattr(e, attribute),
                )
                for e in population.values()
                if e.commodity == commodity
            ]
        )

    return Cohorts(
        standby=index("electricity", "standby_kwh_per_day"),
        annual={c: index(c, "annual_use") for c in ("electricity", "gas")},
        heating={c: index(c, "heating_per_100m2") for c in ("electricity", "gas")},
    )


def meter_estimates(
    *, fact: MeterFacts, cohorts: Cohorts, today: date, climate: Climate
) -> list[recommend.Estimate | recommend.Skip]:
    """Every kind's estimate (or the reason there is none) for one meter."""
    home = {
        "region": fact.region,
        "dwelling_type": fact.dwelling_type,
        "household_size": fact.household_size,
        "heating_fuel": fact.heating_fuel,
    }
    results: list[recommend.Estimate | recommend.Skip] = []
    if fact.commodity == "electricity":
        cohort, _ = cohorts.standby.cohort_for(**home)
        results.append(
            recommend.standby_estimate(
                own_kwh_per_day=fact.standby_kwh_per_day,
                days_with_data=fact.standby_days,
                window_days=fact.standby_window_days,
                cohort=cohort,
                annual_use=fact.annual_use,
            )
        )
    cohort, reasons = cohorts.annual[fact.commodity].cohort_for(**home)
    results.append(
        recommend.similar_homes_estimate(
            own_per_year=fact.annual_use,
            weather_normalised=fact.annual_normalised,
            coverage=fact.annual_coverage,
            cohort=cohort,
            cohort_reasons=reasons,
        )
    )
    if fact.model is None:
        reason = "no baseline model: " + "; ".join(fact.model_reasons)
        for kind in (recommend.HEATING, recommend.HIGH_USAGE, recommend.BILL_FORECAST):
            results.append(recommend.Skip(kind, reason))
        return results
    normals = climate.normals_c.get(fact.region_id)
    if normals is None:
        normals = np.full(YEAR_DAYS, np.nan)
    cohort, _ = cohorts.heating[fact.commodity].cohort_for(**home)
    heating_commodity = heating_fuels.heating_meter_commodity(fact.heating_fuel)
    if heating_commodity != fact.commodity:
        # A gas-heated home's electricity slope is its heater's fans and pumps; a heat-pump
        # home's gas slope its stove on the coldest evenings: not where the heating is.
        results.append(
            recommend.Skip(
                recommend.HEATING,
                f"the home's heating fuel is {fact.heating_fuel}: heating advice goes on "
                + (f"its {heating_commodity} meter" if heating_commodity else "no metered fuel"),
            )
        )
    elif np.all(np.isfinite(normals)):
        results.append(
            recommend.heating_estimate(
                model=fact.model,
                normal_temperature_c=normals,
                cohort=cohort,
                floor_area_m2=fact.floor_area_m2,
            )
        )
    else:
        results.append(recommend.Skip(recommend.HEATING, "no climate normal for some days"))
    results.append(
        recommend.high_usage_estimate(
            model=fact.model,
            usage=fact.week_usage,
            temperature_c=fact.week_temperature_c,
            first_day=today - timedelta(days=recommend.HIGH_USAGE_DAYS),
        )
    )
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    month_dates = np.arange(np.datetime64(month_start), np.datetime64(next_month))
    results.append(
        recommend.bill_forecast_estimate(
            model=fact.model,
            month=month_start,
            usage_to_date=fact.month_usage,
            normal_temperature_month_c=normals_for(normals=normals, dates=month_dates),
        )
    )
    return results


def _peak_shift(*, facts: list[MeterFacts], pricing: BatchPricing, today: date):
    """(fact, peak-shift estimate or skip, share of use per local hour) for electricity meters
    on a time-of-use tariff (a query per time zone)."""
    on_bands = defaultdict(list)
    for fact in facts:
        prices = (
            pricing.electricity_prices(fact.premise_id) if fact.commodity == "electricity" else None
        )
        if prices is not None and prices.bands:
            on_bands[fact.time_zone].append((fact, prices))
    for zone, pairs in on_bands.items():
        hourly = hourly_use_load(
            meter_ids=[fact.meter_id for fact, _ in pairs], time_zone=zone, today=today
        )
        for fact, prices in pairs:
            names, hours, _peak_price, difference = peak_band(prices)
            use_by_hour, days_seen = hourly.get(fact.meter_id, (np.zeros(24), 0))
            result = recommend.peak_shift_estimate(
                peak_use=float(use_by_hour[hours].sum()),
                days_with_data=days_seen,
                window_days=PEAK_WINDOW_DAYS,
                price_difference_jpy=difference,
                peak_hours=hours_label(hours),
                # Both languages: the wording is rendered in the reader's, later.
                peak_band={"name": names.name, "name_ja": names.ja, "name_en": names.en},
            )
            total = use_by_hour.sum()
            # The bill forecast on a time-of-use tariff needs the month's use by hour.
            yield fact, result, (use_by_hour / total if total > 0 else None)


UPDATE_FIELDS = [
    "unit",
    "saving_per_year",
    "saving_jpy",
    "saving_co2_kg",
    "is_alert",
    "confidence",
    "basis",
    "computed_at",
    "is_current",
]


def _money(
    *, fact: MeterFacts, result: recommend.Estimate, pricing: BatchPricing, hourly_share
) -> tuple[float | None, float | None, dict]:
    """(saving_jpy, saving_co2_kg, basis additions) for an estimate, from the tariffs."""
    key = (fact.premise_id, fact.commodity)
    price = pricing.marginal_jpy.get(key)
    factor = pricing.co2_kg_per_unit.get(fact.commodity)
    extra: dict = {}
    if price is not None:
        extra["price_jpy_per_unit"] = price
    else:
        extra["yen_missing_reason"] = pricing.why_not(*key) or "no price"
    if factor is not None:
        extra["co2_kg_per_unit"] = factor
    if result.kind == recommend.PEAK_SHIFT:
        # Shifting moves use to other hours; it saves yen, not kWh, so no CO2 is claimed.
        return result.basis.get("saving_jpy"), None, extra
    if result.kind == recommend.HIGH_USAGE and price is not None:
        extra["excess_yen"] = result.priced_use * price
    if result.kind == recommend.BILL_FORECAST:
        bill = pricing.bill_jpy(
            premise_id=fact.premise_id,
            commodity=fact.commodity,
            usage_total=result.priced_use,
            hourly_share=hourly_share,
        )
        if bill is not None:
            extra["forecast_yen"] = bill
        if hourly_share is not None:
            # The portal prices a time-of-use premise's days with this share (no raw readings;
            # read back as Recommendation.hourly_share).
            share = np.asarray(hourly_share, dtype=float)
            extra["hourly_share"] = [round(float(v), 6) for v in share / share.sum()]
    if result.saving_per_year is None:
        return None, None, extra
    saving_jpy = result.saving_per_year * price if price is not None else None
    saving_co2 = result.saving_per_year * factor if factor is not None else None
    return saving_jpy, saving_co2, extra


def _persist(
    *,
    premise_ids: list[int],
    results: dict[tuple[int, int, str], tuple[MeterFacts, recommend.Estimate | recommend.Skip]],
    summary: GenerateSummary,
    pricing: BatchPricing,
    hourly_shares: dict[int, np.ndarray],
    bills: dict[tuple[int, str], float | None],
) -> None:
    """Upsert the batch's recommendations; retire the ones no longer produced (3 queries)."""
    now = timezone.now()
    existing = {
        (r.premise_id, r.meter_id, r.kind): r
        for r in Recommendation.objects.filter(premise_id__in=premise_ids)
    }
    to_create, to_update = [], []

    def skip(current: Recommendation | None, result: recommend.Skip) -> None:
        """Count the reason; a current recommendation no longer produced is retired with it."""
        summary.skipped[result.kind][result.reason] += 1
        if current is not None and current.is_current:
            current.is_current = False
            current.basis = {**current.basis, "not_current_reason": result.reason}
            current.computed_at = now
            to_update.append(current)
            summary.retired += 1

    for key, (fact, result) in results.items():
        current = existing.get(key)
        if isinstance(result, recommend.Skip):
            skip(current, result)
            continue
        saving_jpy, saving_co2, extra = _money(
            fact=fact,
            result=result,
            pricing=pricing,
            hourly_share=hourly_shares.get(fact.meter_id),
        )
        saving_per_year = result.saving_per_year
        verdict = plausibility.claim_check(
            kind=result.kind,
            saving_per_year=saving_per_year,
            saving_jpy=saving_jpy,
            household=_household(fact=fact, result=result, bills=bills),
        )
        if not verdict.checkable:
            skip(current, recommend.Skip(result.kind, verdict.basis["cap"]["reason"]))
            continue
        extra["plausibility"] = verdict.basis
        extra["heating_fuel"] = fact.heating_fuel
        cohort = result.basis.get("cohort")
        if cohort and cohort.get("region") == fact.region:
            # The cohort's region named in both languages: the wording is rendered later, in
            # the reader's language.
            extra["cohort"] = {**cohort, "region_ja": fact.region_ja, "region_en": fact.region_en}
        if not verdict.shown:
            saving_per_year = saving_jpy = saving_co2 = None
            summary.capped[result.kind] += 1
        values = {
            "unit": fact.unit,
            "saving_per_year": saving_per_year,
            "saving_jpy": saving_jpy,
            "saving_co2_kg": saving_co2,
            "is_alert": result.is_alert,
            "confidence": result.confidence,
            "basis": _json_ready({**result.basis, **extra}),
            "computed_at": now,
            "is_current": True,
        }
        if current is None:
            to_create.append(
                Recommendation(premise_id=key[0], meter_id=key[1], kind=key[2], **values)
            )
        else:
            for name, value in values.items():
                setattr(current, name, value)
            to_update.append(current)
    with transaction.atomic():
        Recommendation.objects.bulk_create(to_create, batch_size=2000)
        if to_update:
            _update(to_update)
    summary.created += len(to_create)
    summary.updated += sum(1 for r in to_update if r.is_current)


def _household(
    *, fact: MeterFacts, result: recommend.Estimate, bills: dict[tuple[int, str], float | None]
) -> plausibility.Household:
    premise_bills = [
        bills[fact.premise_id, commodity]
        for commodity in ("electricity", "gas")
        if (fact.premise_id, commodity) in bills
    ]
    return plausibility.Household(
        annual_use=fact.annual_use,
        annual_bill_jpy=bills.get((fact.premise_id, fact.commodity)),
        household_bill_jpy=None if None in premise_bills else sum(premise_bills),
        heating_use=result.basis.get("heating_use_per_year"),
    )


def annual_bills_jpy(
    *,
    monthly_use: dict[tuple[int, str], float],
    pricing: BatchPricing,
    hourly_shares: dict[int, np.ndarray],
) -> dict[tuple[int, str], float | None]:
    """A year's bill per (premise, commodity): twelve typical months at this month's prices.

    Approximate (a winter month's tier is not a summer month's), which is all a share-of-bill
    check needs. Time-of-use premises are priced with their use by hour; without it, or without
    a tariff, the marginal price × use, else None.
    """
    bills: dict[tuple[int, str], float | None] = {}
    for (premise_id, commodity), use in monthly_use.items():
        bill = pricing.bill_jpy(
            premise_id=premise_id,
            commodity=commodity,
            usage_total=use,
            hourly_share=hourly_shares.get(premise_id) if commodity == "electricity" else None,
        )
        if bill is None and pricing.marginal_jpy.get((premise_id, commodity)) is not None:
            bill = use * pricing.marginal_jpy[premise_id, commodity]
        bills[premise_id, commodity] = 12 * bill if bill is not None else None
    return bills


def _json_ready(value: dict) -> dict:
    """Plain JSON: numpy numbers as Python ones, NaN and infinity as null."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY))


_UPDATE_SQL = """
UPDATE energy_recommendation AS r SET
    unit = v.unit, saving_per_year = v.saving_per_year, saving_jpy = v.saving_jpy,
    saving_co2_kg = v.saving_co2_kg, is_alert = v.is_alert, confidence = v.confidence,
    basis = v.basis::jsonb, computed_at = v.computed_at, is_current = v.is_current
FROM unnest(
    %s::bigint[], %s::text[], %s::float8[], %s::float8[], %s::float8[], %s::bool[], %s::text[],
    %s::text[], %s::timestamptz[], %s::bool[]
) AS v(id, unit, saving_per_year, saving_jpy, saving_co2_kg, is_alert, confidence, basis,
       computed_at, is_current)
WHERE r.id = v.id
"""


def _update(recommendations: list[Recommendation]) -> None:
    """Write the computed fields of existing rows: one statement on PostgreSQL.

    Django's bulk_update builds a CASE per field and row, which cost ~9 s per 5,000 rows.
    """
    if connection.vendor != "postgresql":
        Recommendation.objects.bulk_update(recommendations, UPDATE_FIELDS, batch_size=500)
        return
    columns = [[getattr(r, name) for r in recommendations] for name in UPDATE_FIELDS]
    basis = UPDATE_FIELDS.index("basis")
    columns[basis] = [orjson.dumps(value).decode() for value in columns[basis]]
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL, [[r.pk for r in recommendations], *columns])


def recommendations_generate(
    *, premise_ids: list[int], today: date, batch_size: int = BATCH_PREMISES
) -> GenerateSummary:
    """Compute every kind of recommendation for these premises as of ``today`` (local date).

    Figures use the days before ``today``. Queries: a few per batch of ``batch_size``
    premises plus a few per run, whatever the number of premises.
    """
    started = time.perf_counter()
    summary = GenerateSummary()
    premise_ids = sorted(set(premise_ids))
    climate = climate_load(today=today)
    facts: list[MeterFacts] = []
    for chunk in _chunks(premise_ids, batch_size):
        facts.extend(meter_facts_load(premise_ids=chunk, today=today, climate=climate))
    population = population_load(facts=facts, premise_ids=premise_ids, today=today, climate=climate)
    cohorts = cohorts_build(population=population)

    by_premise: dict[int, list[MeterFacts]] = defaultdict(list)
    for fact in facts:
        by_premise[fact.premise_id].append(fact)
    co2_factors, co2_reasons = emission_factors_load(on=today)
    for chunk in _chunks(premise_ids, batch_size):
        chunk_facts = [fact for premise_id in chunk for fact in by_premise.get(premise_id, [])]
        monthly_use: dict[tuple[int, str], float] = defaultdict(float)
        for fact in chunk_facts:
            if np.isfinite(fact.monthly_use):
                monthly_use[fact.premise_id, fact.commodity] += fact.monthly_use
        pricing = batch_pricing_load(
            monthly_use=monthly_use, on=today, co2_kg_per_unit=co2_factors, co2_reasons=co2_reasons
        )
        results = {}
        for fact in chunk_facts:
            for result in meter_estimates(fact=fact, cohorts=cohorts, today=today, climate=climate):
                results[(fact.premise_id, fact.meter_id, result.kind)] = (fact, result)
        hourly_shares, premise_hourly_shares = {}, {}
        for fact, result, share in _peak_shift(facts=chunk_facts, pricing=pricing, today=today):
            results[(fact.premise_id, fact.meter_id, result.kind)] = (fact, result)
            hourly_shares[fact.meter_id] = share
            if share is not None:
                premise_hourly_shares.setdefault(fact.premise_id, share)
        bills = annual_bills_jpy(
            monthly_use=monthly_use, pricing=pricing, hourly_shares=premise_hourly_shares
        )
        _persist(
            premise_ids=chunk,
            results=results,
            summary=summary,
            pricing=pricing,
            hourly_shares=hourly_shares,
            bills=bills,
        )

    summary.premises = len(premise_ids)
    summary.meters = len(facts)
    summary.seconds = time.perf_counter() - started
    logger.info("Recommendations generated: %s", summary.as_dict())
    return summary
