"""The CalTRACK hourly method: fit time for a year of hourly data, and how well it recovers
the parameters of synthetic hourly use (occupancy, temperature slopes, a 10 % saving).

    make bench-hourly        (or: .venv/bin/python bench/savings_hourly.py)
    .venv/bin/python bench/savings_hourly.py --seeds 10 --fits 50 --zone America/New_York

Needs no database: the method is pure numpy. Each seed simulates two years of a Sapporo-like
household (energy/savings/simulate_hourly.py; noise 15 % per hour, heating below 15 °C and
cooling above 22 °C, so both kinks lie inside a temperature bin) with use 10 % lower in the
second year, fits the first year and measures the second. The slopes are also checked on a
generator inside the model's class (balance points on the 65 and 75 °F bin endpoints, noise 5 %).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from energy.savings.hourly import (
    BIN_ENDPOINTS_C,
    HourlyModel,
    hourly_baseline_fit,
    hourly_savings_measure,
)
from energy.savings.simulate_hourly import hourly_simulate

START = date(2023, 1, 1)
INTERVENTION = date(2024, 1, 1)
YEAR_HOURS = 365 * 24
REDUCTION = 0.1
# (label, occupied, day, °C): a day whose segment holds the temperature's bin well.
SLOPE_POINTS = (
    ("heating, occupied, January -5 °C", True, date(2023, 1, 17), -5.0),
    ("heating, occupied, January 3 °C", True, date(2023, 1, 17), 3.0),
    ("heating, occupied, April 10 °C", True, date(2023, 4, 18), 10.0),
    ("heating, unoccupied, January -5 °C", False, date(2023, 1, 17), -5.0),
    ("heating, unoccupied, January 3 °C", False, date(2023, 1, 17), 3.0),
    ("heating, unoccupied, April 10 °C", False, date(2023, 4, 18), 10.0),
    ("cooling, occupied, August 27 °C", True, date(2023, 8, 15), 27.0),
    ("cooling, unoccupied, August 27 °C", False, date(2023, 8, 15), 27.0),
)
OCCUPIED_HOUR, UNOCCUPIED_HOUR = 19, 3  # local, on a Tuesday of the default schedule


def simulate(seed: int, zone: ZoneInfo, **parameters):
    return hourly_simulate(
        seed=seed,
        zone=zone,
        start=START,
        days=731,
        reduction=REDUCTION,
        reduction_start=INTERVENTION,
        **parameters,
    )


def fit_year(simulated) -> HourlyModel:
    return hourly_baseline_fit(
        hours=simulated.hours[:YEAR_HOURS],
        usage=simulated.usage[:YEAR_HOURS],
        temperature_c=simulated.temperature_c[:YEAR_HOURS],
        zone=simulated.zone,
    )


def per_degree(model: HourlyModel, zone: ZoneInfo, day: date, hour: int, temperature_c: float):
    """Change of the prediction per °C at this local hour (on the given day's weekday)."""
    # The Tuesday of that week, so that the hour's occupancy is the schedule's.
    tuesday = day.toordinal() - day.weekday() + 1
    local = datetime.combine(date.fromordinal(tuesday), datetime.min.time()).replace(
        hour=hour, tzinfo=zone
    )
    start = np.datetime64(local.astimezone(UTC).replace(tzinfo=None), "s")
    low, high = model.predict(
        hours=np.array([start, start]), temperature_c=np.array([-0.5, 0.5]) + temperature_c
    )
    return high - low


def true_slope(load, occupied: bool, temperature_c: float) -> float:
    if temperature_c < load.heating_balance_c:
        return -(load.heating_kw_per_c_occupied if occupied else load.heating_kw_per_c_unoccupied)
    return load.cooling_kw_per_c if temperature_c > load.cooling_balance_c else 0.0


def slope_errors(model: HourlyModel, simulated) -> list[float]:
    errors = []
    for _, occupied, day, temperature_c in SLOPE_POINTS:
        hour = OCCUPIED_HOUR if occupied else UNOCCUPIED_HOUR
        fitted = per_degree(model, simulated.zone, day, hour, temperature_c)
        errors.append(fitted / true_slope(simulated.load, occupied, temperature_c) - 1)
    return errors


def fit_times(zone: ZoneInfo, fits: int) -> None:
    years = [simulate(seed, zone) for seed in range(1000, 1000 + fits)]
    fit_ms, measure_ms = [], []
    for simulated in years:
        start = time.perf_counter()
        fit_year(simulated)
        fit_ms.append(1000 * (time.perf_counter() - start))
        start = time.perf_counter()
        hourly_savings_measure(
            hours=simulated.hours,
            usage=simulated.usage,
            temperature_c=simulated.temperature_c,
            zone=zone,
            intervention=INTERVENTION,
        )
        measure_ms.append(1000 * (time.perf_counter() - start))
    for label, ms in (
        ("hourly_baseline_fit, 8,760 hours", fit_ms),
        ("hourly_savings_measure, 2 years", measure_ms),
    ):
        ms.sort()
        print(
            f"{label:<36} {fits} runs: median {statistics.median(ms):.1f} ms, "
            f"p99 {ms[int(0.99 * (len(ms) - 1))]:.1f} ms, max {ms[-1]:.1f} ms"
        )


def recovery(zone: ZoneInfo, seeds: int) -> None:
    schedule = None
    occupancy, cv_in, cv_out, bias_out, savings_pp, inside = [], [], [], [], [], []
    kinked, in_class = [], []
    for seed in range(1, seeds + 1):
        simulated = simulate(seed, zone)
        if schedule is None:
            schedule = np.zeros(168, dtype=bool)
            schedule[list(simulated.load.occupied_hours_of_week)] = True
        model = fit_year(simulated)
        occupancy.append(min((np.array(s.occupied) == schedule).mean() for s in model.segments))
        prediction = model.predict(hours=simulated.hours, temperature_c=simulated.temperature_c)
        truth = simulated.counterfactual_kwh
        for period, out in ((slice(0, YEAR_HOURS), cv_in), (slice(YEAR_HOURS, None), cv_out)):
            error = prediction[period] - truth[period]
            out.append(np.sqrt(np.mean(error**2)) / truth[period].mean())
        bias_out.append((prediction[YEAR_HOURS:] - truth[YEAR_HOURS:]).mean() / truth.mean())
        kinked.append(slope_errors(model, simulated))
        result = hourly_savings_measure(
            hours=simulated.hours,
            usage=simulated.usage,
            temperature_c=simulated.temperature_c,
            zone=zone,
            intervention=INTERVENTION,
        )
        true_avoided = REDUCTION * truth[YEAR_HOURS:].sum()
        savings_pp.append(100 * (result.fractional_savings - REDUCTION))
        inside.append(abs(result.avoided - true_avoided) <= result.avoided_uncertainty)
        band_pp = 100 * result.avoided_uncertainty / result.predicted

        in_model = simulate(
            seed,
            zone,
            noise=0.05,
            heating_balance_c=BIN_ENDPOINTS_C[3],
            cooling_balance_c=BIN_ENDPOINTS_C[4],
        )
        in_class.append(slope_errors(fit_year(in_model), in_model))

    print(f"\n{seeds} seeds, zone {zone.key}, a year's baseline and a year's reporting:")
    print(f"  occupancy: worst segment matches {100 * min(occupancy):.1f} % of 168 hours of week")
    print(
        f"  prediction vs noiseless truth, CV: baseline median {100 * np.median(cv_in):.2f} %, "
        f"next year median {100 * np.median(cv_out):.2f} % (max {100 * max(cv_out):.2f} %), "
        f"next year's bias max {100 * max(np.abs(bias_out)):.2f} %"
    )
    print(
        f"  10 % saving: error median {np.median(np.abs(savings_pp)):.2f} pp, "
        f"max {max(np.abs(savings_pp)):.2f} pp; truth inside the 90 % band "
        f"{sum(inside)} of {seeds} (band about ±{band_pp:.2f} pp)"
    )
    print("  per-degree response vs generating slope, |relative error| median / max:")
    print(f"    {'':<36} {'default (kinks in bins)':>24} {'in model class, 5 % noise':>26}")
    for i, (label, *_) in enumerate(SLOPE_POINTS):
        a = np.abs([row[i] for row in kinked])
        b = np.abs([row[i] for row in in_class])
        print(
            f"    {label:<36} {100 * np.median(a):>10.1f} % / {100 * a.max():>5.1f} %"
            f" {100 * np.median(b):>12.1f} % / {100 * b.max():>5.1f} %"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--fits", type=int, default=50)
    parser.add_argument("--zone", default="Asia/Tokyo")
    args = parser.parse_args()
    zone = ZoneInfo(args.zone)
    fit_times(zone, args.fits)
    recovery(zone, args.seeds)


if __name__ == "__main__":
    main()
