"""Synthetic hourly electricity with known occupancy and temperature response.

For testing and benchmarking the CalTRACK hourly method (``energy/savings/hourly.py``): the
expected use of each hour is a base load that depends on whether the local hour of the week is
occupied, plus heating below a balance point (a slope for occupied hours and one for
unoccupied hours) and cooling above another; the observed use is that times log-normal noise
with mean 1. The temperature is a cold region's: a seasonal cycle (Sapporo's normals: January
about -3.5 °C, August about 22 °C), a daily cycle peaking in the afternoon, and AR(1) weather
noise from hour to hour.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import numpy as np
from scipy import signal


def _weekly_hours(days: range, hours: range) -> frozenset[int]:
    return frozenset(day * 24 + hour for day in days for hour in hours)


# A working household: weekday mornings and evenings, weekend days (local time).
DEFAULT_OCCUPIED_HOURS_OF_WEEK = (
    _weekly_hours(range(5), range(6, 8))
    | _weekly_hours(range(5), range(17, 23))
    | _weekly_hours(range(5, 7), range(8, 23))
)


@dataclass(frozen=True)
class ColdClimate:
    """Hourly temperature: seasonal + daily cycle + AR(1) noise. Defaults: Sapporo-like."""

    annual_mean_c: float = 9.25
    seasonal_amplitude_c: float = 13.2
    warmest_day_of_year: float = 215.0  # early August
    daily_amplitude_c: float = 3.5
    warmest_hour: float = 14.0  # local
    weather_sd_c: float = 2.5  # stationary standard deviation of the AR(1) part
    weather_autocorrelation: float = 0.97  # hour to hour


SAPPORO = ColdClimate()


@dataclass(frozen=True)
class HourlyLoad:
    """The generating parameters (kW is kWh per hour)."""

    occupied_hours_of_week: frozenset[int]
    base_kw_occupied: float
    base_kw_unoccupied: float
    heating_balance_c: float
    heating_kw_per_c_occupied: float
    heating_kw_per_c_unoccupied: float
    cooling_balance_c: float
    cooling_kw_per_c: float
    noise: float  # standard deviation of the log of the multiplicative noise
    reduction: float  # share of use saved from reduction_start
    reduction_start: date | None


@dataclass(frozen=True, eq=False)
class SimulatedHourly:
    hours: np.ndarray  # datetime64[s], UTC start of each hour
    zone: tzinfo
    temperature_c: np.ndarray
    usage: np.ndarray  # observed kWh per hour
    expected_kwh: np.ndarray  # noiseless, with the reduction
    counterfactual_kwh: np.ndarray  # noiseless, as if there had been no reduction
    occupied: np.ndarray  # bool per hour, from the local hour of week
    load: HourlyLoad
    climate: ColdClimate

    def true_response_kwh(self, *, temperature_c: np.ndarray, occupied: bool) -> np.ndarray:
        """The counterfactual's temperature-dependent part at these temperatures."""
        return _temperature_response(self.load, np.asarray(temperature_c, dtype=float), occupied)


def _temperature_response(load: HourlyLoad, temperature_c: np.ndarray, occupied) -> np.ndarray:
    heating_slope = np.where(
        occupied, load.heating_kw_per_c_occupied, load.heating_kw_per_c_unoccupied
    )
    return heating_slope * np.maximum(
        load.heating_balance_c - temperature_c, 0.0
    ) + load.cooling_kw_per_c * np.maximum(temperature_c - load.cooling_balance_c, 0.0)


def cold_region_temperature(
    *, rng: np.random.Generator, local_hours: np.ndarray, climate: ColdClimate = SAPPORO
) -> np.ndarray:
    """Hourly °C at these local wall-clock times (datetime64), one consecutive hour apart."""
    days = local_hours.astype("datetime64[s]").astype(np.int64) / 86400.0
    year = 365.2425
    seasonal = climate.annual_mean_c + climate.seasonal_amplitude_c * np.cos(
        2 * np.pi * (days % year - climate.warmest_day_of_year) / year
    )
    daily = climate.daily_amplitude_c * np.cos(2 * np.pi * (days % 1.0 - climate.warmest_hour / 24))
    rho = climate.weather_autocorrelation
    innovations = rng.normal(0.0, climate.weather_sd_c * np.sqrt(1 - rho**2), len(days))
    # x[t] = rho * x[t-1] + e[t], starting from the stationary distribution.
    initial = [rho * rng.normal(0.0, climate.weather_sd_c)]
    weather, _ = signal.lfilter([1.0], [1.0, -rho], innovations, zi=initial)
    return seasonal + daily + weather


def hourly_simulate(
    *,
    seed: int,
    zone: tzinfo,
    start: date,
    days: int,
    occupied_hours_of_week: Collection[int] = DEFAULT_OCCUPIED_HOURS_OF_WEEK,
    base_kw_occupied: float = 0.8,
    base_kw_unoccupied: float = 0.3,
    heating_balance_c: float = 15.0,
    heating_kw_per_c_occupied: float = 0.10,
    heating_kw_per_c_unoccupied: float = 0.05,
    cooling_balance_c: float = 22.0,
    cooling_kw_per_c: float = 0.08,
    noise: float = 0.15,
    reduction: float = 0.0,
    reduction_start: date | None = None,
    climate: ColdClimate = SAPPORO,
) -> SimulatedHourly:
    """``days`` local days of hourly use from local midnight of ``start`` in ``zone``."""
    rng = np.random.default_rng(seed)
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    last = datetime.combine(start + timedelta(days=days), time(0), tzinfo=zone).astimezone(UTC)
    count = int((last - first).total_seconds() // 3600)
    hours = np.datetime64(first.replace(tzinfo=None), "s") + np.arange(count) * np.timedelta64(
        3600, "s"
    )
    # Local time by the standard library, independently of energy.savings.hourly, so that a
    # mistake there cannot hide by being made here too.
    local_times = [datetime.fromtimestamp(s, zone) for s in _epoch(hours)]
    offsets = np.array([t.utcoffset().total_seconds() for t in local_times], dtype=np.int64)
    local = (hours.astype(np.int64) + offsets).astype("datetime64[s]")
    temperature_c = cold_region_temperature(rng=rng, local_hours=local, climate=climate)

    occupied_set = frozenset(int(h) for h in occupied_hours_of_week)
    occupied = np.array([t.weekday() * 24 + t.hour in occupied_set for t in local_times])
    load = HourlyLoad(
        occupied_hours_of_week=occupied_set,
        base_kw_occupied=base_kw_occupied,
        base_kw_unoccupied=base_kw_unoccupied,
        heating_balance_c=heating_balance_c,
        heating_kw_per_c_occupied=heating_kw_per_c_occupied,
        heating_kw_per_c_unoccupied=heating_kw_per_c_unoccupied,
        cooling_balance_c=cooling_balance_c,
        cooling_kw_per_c=cooling_kw_per_c,
        noise=noise,
        reduction=reduction,
        reduction_start=reduction_start,
    )
    counterfactual = np.where(occupied, base_kw_occupied, base_kw_unoccupied)
    counterfactual = counterfactual + _temperature_response(load, temperature_c, occupied)
    expected = counterfactual.copy()
    if reduction and reduction_start is not None:
        expected[local.astype("datetime64[D]") >= np.datetime64(reduction_start)] *= 1 - reduction
    usage = expected * np.exp(rng.normal(-(noise**2) / 2, noise, count))
    return SimulatedHourly(
        hours=hours,
        zone=zone,
        temperature_c=temperature_c,
        usage=usage,
        expected_kwh=expected,
        counterfactual_kwh=counterfactual,
        occupied=occupied,
        load=load,
        climate=climate,
    )


def _epoch(hours: np.ndarray) -> list[int]:
    return hours.astype("datetime64[s]").astype(np.int64).tolist()
