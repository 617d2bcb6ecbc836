"""The savings engine over the database: a meter's daily series, measured savings."""

from datetime import date, timedelta

import numpy as np

from energy.bills.selectors import (
    meter_billing_arrays,
    meter_last_one_day,
    meter_one_day_usage,
)
from energy.models import Commodity, DailyUsage, Meter, WeatherObservation
from energy.savings.billing import BillingMeasuredSavings, billing_savings_measure
from energy.savings.caltrack import BASELINE_DAYS, DataInsufficient
from energy.savings.mv import MeasuredSavings, savings_measure

# CalTRACK 2.2.2.1: a day counts when at most half of its intervals are missing.
MIN_INTERVAL_SHARE = 0.5


def daily_totals_filled(
    *, totals: np.ndarray, intervals: np.ndarray, expected: np.ndarray | int
) -> np.ndarray:
    """Daily totals scaled up for missing intervals; NaN where at most half are present.

    CalTRACK 2.2.2.1: fill missing intervals with the mean of the present ones.
    """
    totals = np.asarray(totals, dtype=float)
    intervals = np.asarray(intervals, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        filled = totals * (expected / intervals)
    return np.where(intervals >= MIN_INTERVAL_SHARE * np.asarray(expected), filled, np.nan)


def meter_daily_series(
    *, meter: Meter, start: date, end: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dates, usage, temperature_c) for each local day from start to end inclusive.

    Usage is the meter's DailyUsage total filled for missing intervals, or on a day without
    readings the use of a one-day billing period (a daily-binned Green Button feed's day); NaN
    marks a day without either, or without a temperature for the premise's region.
    """
    dates = np.arange(np.datetime64(start), np.datetime64(end) + 1)
    index = {d: i for i, d in enumerate(dates.astype(date).tolist())}
    usage = np.full(len(dates), np.nan)
    temperature_c = np.full(len(dates), np.nan)
    region = meter.premise.region
    rows = DailyUsage.objects.filter(meter=meter, date__range=(start, end)).values_list(
        "date", "total", "intervals"
    )
    for day, total, intervals in rows:
        usage[index[day]] = daily_totals_filled(
            totals=np.array([total]),
            intervals=np.array([intervals]),
            expected=meter.intervals_per_day(day),
        )[0]
    for day, total in meter_one_day_usage(meter=meter, start=start, end=end).items():
        if np.isnan(usage[index[day]]):
            usage[index[day]] = total
    weather = WeatherObservation.objects.filter(
        region=region, date__range=(start, end)
    ).values_list("date", "temperature_mean_c")
    for day, temperature in weather:
        temperature_c[index[day]] = temperature
    return dates, usage, temperature_c


def meter_savings_measure(
    *, meter: Meter, intervention: date, reporting_end: date | None = None
) -> MeasuredSavings:
    """Measured savings of one meter since ``intervention`` (raises DataInsufficient)."""
    last = DailyUsage.objects.filter(meter=meter).order_by("-date").values_list("date", flat=True)
    last_days = [day for day in (last.first(), meter_last_one_day(meter=meter)) if day]
    last_day = max(last_days, default=None)
    if last_day is None:
        raise DataInsufficient([f"meter {meter.serial} has no daily usage yet"])
    end = min(reporting_end or last_day, last_day)
    if end < intervention:
        raise DataInsufficient(
            [f"meter {meter.serial} has no data on or after the intervention date {intervention}"]
        )
    dates, usage, temperature_c = meter_daily_series(
        meter=meter, start=intervention - timedelta(days=BASELINE_DAYS), end=end
    )
    return savings_measure(
        dates=dates,
        usage=usage,
        temperature_c=temperature_c,
        intervention=intervention,
        commodity=Commodity(meter.commodity).value,
    )


def meter_billing_savings_measure(
    *, meter: Meter, intervention: date, reporting_end: date | None = None
) -> BillingMeasuredSavings:
    """Measured savings of one meter from its billing periods (CalTRACK billing method) and the
    daily mean temperatures of its premise's region (raises DataInsufficient)."""
    periods = meter_billing_arrays(meter=meter)
    if not len(periods.starts):
        raise DataInsufficient([f"meter {meter.serial} has no billing periods"])
    first = periods.starts.min().astype(date)
    last = periods.ends.max().astype(date)
    weather = list(
        WeatherObservation.objects.filter(
            region=meter.premise.region, date__range=(first, last)
        ).values_list("date", "temperature_mean_c")
    )
    return billing_savings_measure(
        period_starts=periods.starts,
        period_ends=periods.ends,
        usage=periods.usage,
        estimated=periods.estimated,
        temperature_dates=np.array([day for day, _ in weather], dtype="datetime64[D]"),
        temperature_c=np.array([value for _, value in weather], dtype=float),
        intervention=intervention,
        commodity=Commodity(meter.commodity).value,
        reporting_end=reporting_end,
    )
