"""Synthetic monthly bills with a known saving, to hold the CalTRACK billing method to the truth.

Each seed draws its own weather and household (nothing is fixed to suit the method):

- **Weather**, a cold region like Sapporo: a seasonal sinusoid of the daily mean temperature
  (annual mean 9.3 ± 1 °C, amplitude 13.2 ± 1 °C, coldest around 27 January ± 5 days: a
  January mean of about -3.5 °C and an August mean of about 22 °C) plus AR(1) weather
  anomalies (persistence 0.6-0.8, standard deviation 2.5-3.5 °C); a share of days (1 %) has
  no temperature.
- **Use per day** S_d = base + heating slope × HDD(T_d, balance point) (+ cooling slope ×
  CDD(T_d, cooling balance point) for electricity), the balance points drawn per seed
  (heating 12-18 °C, cooling 19-23 °C, off the model's 1 °F grid).
- **Behaviour**: the day's use is S_d · (1 + e_d), e_d an AR(1) series (persistence 0.5-0.8,
  standard deviation 6-15 %), which leaves each bill 2-8 % above or below the weather's
  account of it.
- **The intervention** removes ``reduction`` of S_d (the base and weather-dependent use)
  from the intervention date on; behaviour e_d is the same draw with and without it.
- **Bills**: cycles of 27-34 days, read on varied days, starting a random 1-34 days before
  the baseline year so that a bill spans its start, and another usually spans the
  intervention; optionally one baseline bill is an estimated read (the previous bill's use
  per day), corrected by the next actual read.

**Truth.** ``true_fractional_savings`` is the use actually avoided over the reporting bills
(whole bills starting on or after the intervention) divided by the use the household would
have had without the intervention over the same days, *with* its behaviour (the noisy
counterfactual): Σ reduction · S_d / Σ S_d · (1 + e_d). It differs from ``reduction`` by
the behaviour of those months, which no method can know; a method that measured perfectly
would report exactly it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from energy.savings.caltrack import ELECTRICITY, GAS, cooling_degree_days, heating_degree_days

DAYS_PER_MONTH = 365.25 / 12
SHORTEST_CYCLE_DAYS = 27
LONGEST_CYCLE_DAYS = 34


@dataclass(frozen=True)
class SimulatedBills:
    """One simulated meter: its bills, its weather, its true parameters and saving."""

    seed: int
    commodity: str
    intervention: date
    reporting_end: date  # the last day of the last reporting bill
    period_starts: np.ndarray  # datetime64[D]
    period_ends: np.ndarray  # datetime64[D], last day of each bill
    usage: np.ndarray  # per bill (kWh or m³)
    estimated: np.ndarray  # bool per bill
    counterfactual_usage: np.ndarray  # per bill, without the intervention (with behaviour)
    expected_usage: np.ndarray  # per bill, without the intervention or behaviour: Σ S_d
    temperature_dates: np.ndarray  # datetime64[D]
    temperature_c: np.ndarray  # NaN where missing
    base_per_day: float
    heating_balance_c: float
    heating_slope: float  # per °C·day
    cooling_balance_c: float | None
    cooling_slope: float
    behaviour_sd: float
    reduction: float
    reporting_periods: int
    true_avoided: float
    true_fractional_savings: float

    @property
    def perfect_model_fractional_savings(self) -> float:
        """What a method that knew base and weather use exactly would measure (its error is
        the behaviour of the reporting months)."""
        reporting = self.period_starts >= np.datetime64(self.intervention)
        return 1 - self.usage[reporting].sum() / self.expected_usage[reporting].sum()

    def measure_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``billing_savings_measure`` for these bills."""
        return {
            "period_starts": self.period_starts,
            "period_ends": self.period_ends,
            "usage": self.usage,
            "estimated": self.estimated,
            "temperature_dates": self.temperature_dates,
            "temperature_c": self.temperature_c,
            "intervention": self.intervention,
            "commodity": self.commodity,
            "reporting_end": self.reporting_end,
        }


def _ar1(rng: np.random.Generator, n: int, persistence: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series with this lag-1 correlation and standard deviation."""
    shocks = rng.normal(0.0, sd * np.sqrt(1 - persistence**2), n)
    series = np.empty(n)
    series[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        series[i] = persistence * series[i - 1] + shocks[i]
    return series


def bills_simulate(
    *,
    seed: int,
    commodity: str = GAS,
    years_baseline: int = 1,
    months_reporting: int = 12,
    reduction: float = 0.10,
    estimated_read: bool = False,
    behaviour: bool = True,
    temperature_missing_share: float = 0.01,
) -> SimulatedBills:
    """Bills of one simulated household over ``years_baseline`` years and the reporting months.

    ``behaviour=False`` gives bills that are exactly base + weather (for testing the fit).
    """
    if commodity not in (ELECTRICITY, GAS):
        raise ValueError(f"unknown commodity {commodity!r}")
    rng = np.random.default_rng(seed)
    intervention = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 366)))
    reporting_last = intervention + timedelta(days=round(months_reporting * DAYS_PER_MONTH) - 1)
    first = intervention - timedelta(days=365 * years_baseline + int(rng.integers(1, 35)))

    # Bills: consecutive cycles from ``first`` until one would end after the reporting months.
    starts, ends = [], []
    start = first
    while True:
        end = start + timedelta(days=int(rng.integers(SHORTEST_CYCLE_DAYS, LONGEST_CYCLE_DAYS + 1)))
        end -= timedelta(days=1)
        if end > reporting_last:
            break
        starts.append(start)
        ends.append(end)
        start = end + timedelta(days=1)
    period_starts = np.array(starts, dtype="datetime64[D]")
    period_ends = np.array(ends, dtype="datetime64[D]")
    days = np.arange(np.datetime64(first), period_ends[-1] + 1)

    # Weather.
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int)
    coldest_day = 26 + rng.uniform(-5, 5)
    temperature_c = (
        9.3
        + rng.uniform(-1, 1)
        - (13.2 + rng.uniform(-1, 1)) * np.cos(2 * np.pi * (day_of_year - coldest_day) / 365.25)
        + _ar1(rng, len(days), rng.uniform(0.6, 0.8), rng.uniform(2.5, 3.5))
    )

    # Household.
    if commodity == ELECTRICITY:
        base, heating_slope = rng.uniform(5.0, 12.0), rng.uniform(0.2, 1.2)  # kWh
        cooling_balance_c, cooling_slope = rng.uniform(19.0, 23.0), rng.uniform(0.3, 1.5)
    else:
        base, heating_slope = rng.uniform(0.6, 2.0), rng.uniform(0.08, 0.35)  # m³
        cooling_balance_c, cooling_slope = None, 0.0
    heating_balance_c = rng.uniform(12.0, 18.0)
    weather_and_base = base + heating_slope * heating_degree_days(temperature_c, heating_balance_c)
    if cooling_balance_c is not None:
        weather_and_base += cooling_slope * cooling_degree_days(temperature_c, cooling_balance_c)
    behaviour_sd = rng.uniform(0.06, 0.15)
    deviation = _ar1(rng, len(days), rng.uniform(0.5, 0.8), behaviour_sd) if behaviour else 0.0
    counterfactual = weather_and_base * (1 + deviation)
    avoided = np.where(days >= np.datetime64(intervention), reduction * weather_and_base, 0.0)
    actual = counterfactual - avoided

    lo = (period_starts - days[0]).astype(int)
    hi = (period_ends - days[0]).astype(int) + 1

    def per_bill(values: np.ndarray) -> np.ndarray:
        cumulative = np.concatenate([[0.0], np.cumsum(values)])
        return cumulative[hi] - cumulative[lo]

    usage = per_bill(actual)
    counterfactual_usage = per_bill(counterfactual)
    estimated = np.zeros(len(usage), dtype=bool)
    if estimated_read:
        # A baseline bill read as an estimate (the previous bill's use per day); the next
        # actual read bills the rest of the two periods' use.
        in_baseline = np.flatnonzero(
            (period_starts > period_starts[0]) & (period_ends < np.datetime64(intervention) - 40)
        )
        i = int(rng.choice(in_baseline))
        bill_days = (period_ends - period_starts).astype(int) + 1
        both = usage[i] + usage[i + 1]
        usage[i] = bill_days[i] * usage[i - 1] / bill_days[i - 1]
        usage[i + 1] = both - usage[i]
        estimated[i] = True

    reporting = period_starts >= np.datetime64(intervention)
    true_avoided = float(per_bill(avoided)[reporting].sum())
    missing = rng.random(len(days)) < temperature_missing_share
    return SimulatedBills(
        seed=seed,
        commodity=commodity,
        intervention=intervention,
        reporting_end=period_ends[-1].astype(date),
        period_starts=period_starts,
        period_ends=period_ends,
        usage=usage,
        estimated=estimated,
        counterfactual_usage=counterfactual_usage,
        expected_usage=per_bill(weather_and_base),
        temperature_dates=days,
        temperature_c=np.where(missing, np.nan, temperature_c),
        base_per_day=float(base),
        heating_balance_c=float(heating_balance_c),
        heating_slope=float(heating_slope),
        cooling_balance_c=None if cooling_balance_c is None else float(cooling_balance_c),
        cooling_slope=float(cooling_slope),
        behaviour_sd=float(behaviour_sd),
        reduction=reduction,
        reporting_periods=int(reporting.sum()),
        true_avoided=true_avoided,
        true_fractional_savings=true_avoided / float(counterfactual_usage[reporting].sum()),
    )
