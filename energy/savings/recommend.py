"""Recommendation kinds as pure functions over numbers and arrays (no database).

Each ``<kind>_estimate`` returns an ``Estimate`` with the annual saving in the meter's unit and
the numbers it used (``basis``), or a ``Skip`` saying why no honest figure exists. Yen and CO2
are added afterwards from tariffs and emission factors (``energy.savings.generate``).

Confidence (one rule for all kinds, ``confidence_rate``): start at high and drop one level for
each of these that holds, never below low:
- the data behind the figure covers less than 90 % of the days of its window;
- a wider cohort than region + dwelling type + household size band was used;
- the baseline model explains daily use poorly: CV(RMSE) above 0.5. (ASHRAE Guideline 14 asks
  15 % monthly / 30 % hourly of a calibrated whole-building model; single homes' daily use is
  noisier, so we only flag clearly poor fits.)
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from energy.savings.cohorts import LEVEL_EXACT, Cohort

STANDBY = "standby"
HEATING = "heating"
PEAK_SHIFT = "peak_shift"
HIGH_USAGE = "high_usage"
SIMILAR_HOMES = "similar_homes"
BILL_FORECAST = "bill_forecast"

COVERAGE_HIGH = 0.9
CVRMSE_POOR = 0.5
# "Efficient similar homes" are the 20th percentile of the cohort; standby is compared with
# the 25th (the lowest quarter of homes, which show what good standby habits achieve).
EFFICIENT_PERCENTILE = 20.0
STANDBY_PERCENTILE = 25.0
# Share of the always-on gap to efficient similar homes that is devices a household can switch
# off at the plug or the main switch; the rest is appliances that stay on for a reason. An
# assumption, stated in the basis.
STANDBY_REDUCIBLE_SHARE = 0.5
# Share of peak-band use a household can move to cheaper hours (laundry, dishwasher, water
# heating timers). 20 % is a deliberately modest assumption; stated in the basis.
PEAK_SHIFTABLE_SHARE = 0.20
# High-usage alert: the last 7 days at least 20 % above the baseline's prediction at their
# temperatures, and beyond its 90 % prediction interval for the week.
HIGH_USAGE_MIN_EXCESS = 0.20
HIGH_USAGE_DAYS = 7
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Estimate:
    kind: str
    saving_per_year: float | None
    confidence: str
    basis: dict = field(default_factory=dict)
    is_alert: bool = False
    # Usage (meter's unit) to price with the marginal tariff for the yen figure, when it is
    # not the annual saving itself (the high-usage excess, the forecast month's use).
    priced_use: float | None = None


@dataclass(frozen=True)
class Skip:
    kind: str
    reason: str


def confidence_rate(
    *, coverage: float, cohort: Cohort | None = None, cvrmse: float | None = None
) -> str:
    """Confidence from data coverage, cohort width and model fit (rule in the module doc)."""
    drops = 0
    if not coverage >= COVERAGE_HIGH:
        drops += 1
    if cohort is not None and cohort.level != LEVEL_EXACT:
        drops += 1
    if cvrmse is not None and not cvrmse <= CVRMSE_POOR:
        drops += 1
    return ("high", "medium", "low", "low")[min(drops, 3)]


def standby_kwh_per_day(*, baseload: np.ndarray, intervals_per_day: int) -> float:
    """Always-on use per day: the median day's smallest interval, times the intervals in a day.

    ``baseload`` holds DailyUsage.baseload (kWh in the smallest interval) per day, NaN where
    a day is missing. The smallest half hour of a day is its always-on floor (fridge,
    ventilation, devices on standby); the median over days ignores the odd day away or with a
    fault.
    """
    values = baseload[np.isfinite(baseload)]
    if values.size == 0:
        return float("nan")
    return float(np.median(values)) * intervals_per_day


def _watts(kwh_per_day: float) -> float:
    return kwh_per_day / 24.0 * 1000.0


def standby_estimate(
    *,
    own_kwh_per_day: float,
    days_with_data: int,
    window_days: int,
    cohort: Cohort | None,
    annual_use: float = float("nan"),
) -> Estimate | Skip:
    """Always-on use above efficient similar homes; the part a household can switch off.

    The always-on floor is measured (the night minimum on days without heating or cooling);
    what of it is standby is not. Part of the gap to the cohort's 25th percentile is a second
    fridge, a ventilation fan or an aquarium that stays on, so only ``STANDBY_REDUCIBLE_SHARE``
    of the gap is claimed (stated in the basis).
    """
    if not np.isfinite(own_kwh_per_day) or days_with_data == 0:
        return Skip(
            STANDBY,
            f"no night readings on the last year's {window_days} days without heating or cooling",
        )
    if cohort is None:
        return Skip(STANDBY, "no cohort of similar homes with enough homes")
    target = cohort.percentile_value(STANDBY_PERCENTILE)
    excess = own_kwh_per_day - target
    if excess <= 0:
        return Skip(STANDBY, "standby is already at or below the lowest quarter of similar homes")
    always_on_per_year = own_kwh_per_day * DAYS_PER_YEAR
    return Estimate(
        STANDBY,
        saving_per_year=excess * STANDBY_REDUCIBLE_SHARE * DAYS_PER_YEAR,
        confidence=confidence_rate(coverage=days_with_data / window_days, cohort=cohort),
        basis={
            "method": "always-on use = median daily minimum half hour × 48, on the last "
            "year's days without heating or cooling; saving = (own − cohort's 25th "
            f"percentile) × {STANDBY_REDUCIBLE_SHARE:.0%} reducible × 365",
            "own_kwh_per_day": own_kwh_per_day,
            "own_watts": _watts(own_kwh_per_day),
            "cohort_kwh_per_day": target,
            "cohort_watts": _watts(target),
            "reducible_percent": 100.0 * STANDBY_REDUCIBLE_SHARE,
            "always_on_share_percent": (
                100.0 * always_on_per_year / annual_use
                if np.isfinite(annual_use) and annual_use > 0
                else None
            ),
            "days_with_data": days_with_data,
            "window_days": window_days,
            "cohort": cohort.describe(),
        },
    )


def similar_homes_estimate(
    *,
    own_per_year: float,
    weather_normalised: bool,
    coverage: float,
    cohort: Cohort | None,
    cohort_reasons: list[str] | None = None,
) -> Estimate | Skip:
    """A social comparison with efficient similar homes (the cohort's 20th percentile).

    Opower-style: where the home stands among like homes, never a saving. The gap to the most
    efficient homes includes everything that makes two homes differ (who is at home, the age of
    the building) and cannot be promised in yen.
    """
    if not np.isfinite(own_per_year):
        return Skip(SIMILAR_HOMES, "not enough days in the last year to estimate annual use")
    if cohort is None:
        return Skip(
            SIMILAR_HOMES,
            "no cohort of similar homes with enough homes: " + "; ".join(cohort_reasons or []),
        )
    efficient = cohort.percentile_value(EFFICIENT_PERCENTILE)
    percentile = cohort.percentile_rank(own_per_year)
    if own_per_year <= efficient or efficient <= 0:
        return Skip(SIMILAR_HOMES, "annual use is already at or below efficient similar homes")
    spread = cohort.spread()
    return Estimate(
        SIMILAR_HOMES,
        saving_per_year=None,
        confidence=confidence_rate(coverage=coverage, cohort=cohort),
        basis={
            "method": "annual use vs the cohort's 20th percentile ('efficient similar homes'); "
            "a comparison, not a saving",
            "own_value": own_per_year,
            "efficient_value": efficient,
            "median_value": spread["median"],
            "cohort_p25_value": spread["p25"],
            "cohort_p75_value": spread["p75"],
            "percent_more": 100.0 * (own_per_year - efficient) / efficient,
            "percentile": percentile,
            "weather_normalised": weather_normalised,
            "coverage": coverage,
            "cohort": cohort.describe(),
            "cohort_fallback_reasons": cohort_reasons or [],
        },
    )


def heating_days_normal_year(*, normal_temperature_c: np.ndarray, balance_c: float) -> int:
    """Days of a normal year colder than the heating balance point."""
    return int(np.count_nonzero(normal_temperature_c < balance_c))


def heating_estimate(
    *,
    model,
    normal_temperature_c: np.ndarray,
    cohort: Cohort | None,
    floor_area_m2: float,
) -> Estimate | Skip:
    """The saving of a heating setpoint 1 °C lower, over a normal year's weather.

    A setpoint 1 °C lower moves the balance point about 1 °C lower, so each heating day has one
    heating degree-day less, and a day less than 1 °C below the balance point loses only what
    it had: saving = beta_hdd × Σ min(HDD, 1) over the normal year. The advice is given when
    the home's heating slope per 100 m² of floor area is above the median of like homes (same
    dwelling type and heating fuel: ``cohort``, whose values are per 100 m²).
    """
    if model is None:
        return Skip(HEATING, "no baseline model")
    if model.beta_hdd <= 0 or model.heating_balance_c is None:
        return Skip(HEATING, f"the baseline model ({model.kind}) has no significant heating term")
    if cohort is None:
        return Skip(HEATING, "no cohort of similar homes with a heating slope")
    if not floor_area_m2 > 0:
        return Skip(HEATING, "no floor area to compare the heating slope per m²")
    own_per_100m2 = model.beta_hdd * 100.0 / floor_area_m2
    spread = cohort.spread()
    median = spread["median"]
    if own_per_100m2 <= median:
        return Skip(HEATING, "the heating slope is at or below the median of similar homes")
    normal = np.asarray(normal_temperature_c, dtype=float)
    days = heating_days_normal_year(normal_temperature_c=normal, balance_c=model.heating_balance_c)
    if days == 0:
        return Skip(HEATING, "no heating days in a normal year at this balance point")
    degree_days = np.clip(model.heating_balance_c - normal, 0, None)
    heating_use = float(model.beta_hdd * degree_days.sum())
    return Estimate(
        HEATING,
        saving_per_year=float(model.beta_hdd * np.minimum(degree_days, 1.0).sum()),
        confidence=confidence_rate(
            coverage=model.n_days / DAYS_PER_YEAR, cohort=cohort, cvrmse=model.cvrmse
        ),
        basis={
            "method": "beta_hdd × Σ min(HDD, 1) over a normal year (1 °C lower setpoint); "
            "compared per 100 m² with like homes' median",
            "own_per_hdd": model.beta_hdd,
            "own_per_hdd_100m2": own_per_100m2,
            "cohort_per_hdd_100m2": median,
            "cohort_p25_per_hdd_100m2": spread["p25"],
            "cohort_p75_per_hdd_100m2": spread["p75"],
            "percent_above": 100.0 * (own_per_100m2 - median) / median if median > 0 else None,
            "floor_area_m2": floor_area_m2,
            "heating_days": days,
            "heating_balance_c": model.heating_balance_c,
            "heating_use_per_year": heating_use,
            "model": model.as_dict(),
            "cohort": cohort.describe(),
        },
    )


def high_usage_estimate(
    *, model, usage: np.ndarray, temperature_c: np.ndarray, first_day: date
) -> Estimate | Skip:
    """The last days' use vs the baseline's prediction at their temperatures (an alert)."""
    if model is None:
        return Skip(HIGH_USAGE, "no baseline model")
    ok = np.isfinite(usage) & np.isfinite(temperature_c)
    if ok.sum() < usage.size:
        return Skip(HIGH_USAGE, f"only {int(ok.sum())} of the last {usage.size} days have data")
    prediction, half_width = model.predict_interval(temperature_c, 0.9)
    expected = float(prediction.sum())
    observed = float(usage.sum())
    # Interval of the week's sum: daily errors taken as independent, so half-widths add in
    # quadrature.
    week_half_width = float(np.sqrt(np.sum(np.square(half_width))))
    excess = observed - expected
    if expected <= 0 or excess < HIGH_USAGE_MIN_EXCESS * expected or excess <= week_half_width:
        return Skip(HIGH_USAGE, "the last days are within the expected range")
    return Estimate(
        HIGH_USAGE,
        saving_per_year=None,
        confidence=confidence_rate(coverage=1.0, cvrmse=model.cvrmse),
        is_alert=True,
        priced_use=excess,
        basis={
            "method": "observed vs baseline prediction at the days' temperatures; alert above "
            "+20 % and beyond the 90 % prediction interval",
            "first_day": first_day.isoformat(),
            "days": int(usage.size),
            "week_value": observed,
            "expected_value": expected,
            "interval_half_width": week_half_width,
            "excess_value": excess,
            "excess_percent": 100.0 * excess / expected,
            "model": model.as_dict(),
        },
    )


def bill_forecast_estimate(
    *,
    model,
    month: date,
    usage_to_date: np.ndarray,
    normal_temperature_month_c: np.ndarray,
) -> Estimate | Skip:
    """This month's use: the days so far plus the rest predicted at normal weather.

    ``usage_to_date`` holds the month's days before today (NaN where missing);
    ``normal_temperature_month_c`` the climate normal of every day of the month. Days without
    data so far are predicted too, and counted in the basis.
    """
    if model is None:
        return Skip(BILL_FORECAST, "no baseline model")
    normals = np.asarray(normal_temperature_month_c, dtype=float)
    if not np.all(np.isfinite(normals)):
        return Skip(BILL_FORECAST, "no climate normal for some days of the month")
    elapsed = usage_to_date.size
    observed = np.isfinite(usage_to_date)
    predict_mask = np.ones(normals.size, dtype=bool)
    predict_mask[:elapsed] = ~observed
    to_date = float(usage_to_date[observed].sum())
    forecast = to_date + float(model.predict(normals[predict_mask]).sum())
    coverage = float(observed.mean()) if elapsed else 1.0
    return Estimate(
        BILL_FORECAST,
        saving_per_year=None,
        confidence=confidence_rate(coverage=coverage, cvrmse=model.cvrmse),
        priced_use=forecast,
        basis={
            "method": "use so far this month + baseline prediction at climate-normal "
            "temperatures for the other days",
            "month": month.strftime("%Y-%m"),
            "to_date_value": to_date,
            "days_observed": int(observed.sum()),
            "days_predicted": int(predict_mask.sum()),
            "forecast_value": forecast,
            "model": model.as_dict(),
        },
    )


def peak_shift_estimate(
    *,
    peak_use: float,
    days_with_data: int,
    window_days: int,
    price_difference_jpy: float,
    peak_hours: str,
    peak_band: dict | None = None,
) -> Estimate | Skip:
    """Yen from moving a share of peak-band use to the cheapest band, per year.

    ``peak_hours``: the band's hours ("17:00-22:00"); ``peak_band``: its ``name``, ``name_ja``
    and ``name_en``.
    """
    if days_with_data == 0:
        return Skip(PEAK_SHIFT, f"no readings in the last {window_days} days")
    if price_difference_jpy <= 0:
        return Skip(PEAK_SHIFT, "the peak band is not dearer than the cheapest band")
    peak_per_year = peak_use / days_with_data * DAYS_PER_YEAR
    shifted = peak_per_year * PEAK_SHIFTABLE_SHARE
    if shifted <= 0:
        return Skip(PEAK_SHIFT, "no use in the peak band")
    return Estimate(
        PEAK_SHIFT,
        # Shifting moves use, it does not remove it: no kWh or CO2 saved, only yen.
        saving_per_year=0.0,
        confidence=confidence_rate(coverage=days_with_data / window_days),
        basis={
            "method": "peak-band use per year × shiftable share × (peak − cheapest price)",
            "peak_hours": peak_hours,
            "peak_band": peak_band,
            "peak_use_per_year": peak_per_year,
            "shift_percent": 100.0 * PEAK_SHIFTABLE_SHARE,
            "shifted_per_year": shifted,
            "price_difference_yen": price_difference_jpy,
            "saving_jpy": shifted * price_difference_jpy,
            "days_with_data": days_with_data,
            "window_days": window_days,
        },
    )
