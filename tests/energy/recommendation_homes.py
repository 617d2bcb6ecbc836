"""Archetypal homes for recommendation tests: DailyUsage and weather written directly.

The engine reads only DailyUsage and WeatherObservation, so tests set those up in bulk
instead of ingesting 17,000 readings per meter.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from energy.models import DailyUsage, Reading, WeatherObservation
from tests import factories

TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = date(2026, 1, 20)
DAYS = 400
HEATING_BASE_C = 16.0


def days_before(today: date = TODAY, days: int = DAYS) -> list[date]:
    return [today - timedelta(days=days - i) for i in range(days)]


def seasonal_temperatures(days: list[date], seed: int = 1) -> np.ndarray:
    """Sapporo-like daily means: about -4 °C in late January, 22 °C in August."""
    rng = np.random.default_rng(seed)
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    return 9.0 - 13.0 * np.cos(2 * np.pi * (doy - 20) / 365.25) + rng.normal(0, 1.5, len(days))


def weather_create(region, days: list[date], temperature_c: np.ndarray) -> None:
    WeatherObservation.objects.bulk_create(
        [
            WeatherObservation(region=region, date=d, temperature_mean_c=float(t))
            for d, t in zip(days, temperature_c, strict=True)
        ]
    )


def daily_usage_create(meter, days: list[date], totals, baseloads=None, intervals=48) -> None:
    baseloads = totals / intervals if baseloads is None else baseloads
    DailyUsage.objects.bulk_create(
        [
            DailyUsage(
                meter=meter,
                date=d,
                total=float(total),
                baseload=float(base),
                peak=float(total) / 10,
                peak_at=datetime(d.year, d.month, d.day, 9, tzinfo=UTC),
                night_total=float(base) * 8,
                intervals=intervals,
            )
            for d, total, base in zip(days, totals, baseloads, strict=True)
            if np.isfinite(total)
        ]
    )


def home_create(
    *,
    region,
    standby_kwh_per_30min: float = 0.05,
    activity_kwh_per_day: float = 8.0,
    electric_per_hdd: float = 0.0,
    gas_per_hdd: float | None = None,
    hot_water_m3_per_day: float = 0.8,
    temperature_c: np.ndarray,
    days: list[date],
    dwelling_type: str = "detached",
    household_size: int = 3,
    owner=None,
    seed: int = 0,
    last_week_factor: float = 1.0,
    heating_fuel: str | None = "gas",
    floor_area_m2: float = 95,
):
    """A premise with an electricity meter (and a gas meter when ``gas_per_hdd`` is given).

    ``heating_fuel`` is recorded on the premise; None leaves it to be inferred from the meters.
    """
    rng = np.random.default_rng(seed)
    premise_fields = {"region": region, "dwelling_type": dwelling_type}
    premise_fields["household_size"] = household_size
    premise_fields["heating_fuel"] = heating_fuel or ""
    premise_fields["floor_area_m2"] = floor_area_m2
    if owner is not None:
        premise_fields["owner"] = owner
    premise = factories.PremiseFactory(**premise_fields)
    hdd = np.clip(HEATING_BASE_C - temperature_c, 0, None)
    n = len(days)
    standby_day = standby_kwh_per_30min * 48
    electricity = (standby_day + activity_kwh_per_day + electric_per_hdd * hdd) * rng.lognormal(
        -0.005, 0.1, n
    )
    electricity[-7:] *= last_week_factor
    baseload = standby_kwh_per_30min * rng.uniform(0.95, 1.05, n)
    meter = factories.MeterFactory(premise=premise, commodity="electricity", unit="kWh")
    daily_usage_create(meter, days, electricity, baseload)
    gas_meter = None
    if gas_per_hdd is not None:
        gas = (hot_water_m3_per_day + gas_per_hdd * hdd) * rng.lognormal(-0.005, 0.1, n)
        gas[-7:] *= last_week_factor
        gas_meter = factories.MeterFactory(
            premise=premise, commodity="gas", unit="m3", interval_minutes=60
        )
        daily_usage_create(gas_meter, days, gas, gas / 24, intervals=24)
    return premise, meter, gas_meter


def neighbourhood_create(
    *, region, temperature_c, days, count: int = 12, seed: int = 100, **overrides
) -> list:
    """``count`` ordinary similar homes, varied a little around the typical values."""
    rng = np.random.default_rng(seed)
    homes = []
    for i in range(count):
        fields = {
            "standby_kwh_per_30min": float(rng.uniform(0.04, 0.07)),
            "activity_kwh_per_day": float(rng.uniform(7.0, 10.0)),
            "gas_per_hdd": float(rng.uniform(0.25, 0.35)),
            **overrides,
        }
        homes.append(
            home_create(
                region=region, temperature_c=temperature_c, days=days, seed=seed + i, **fields
            )
        )
    return homes


def half_hourly_readings(meter, *, days: int, peak_kwh: float, other_kwh: float):
    """The last ``days`` days before TODAY: ``peak_kwh`` a half-hour from 17:00 to 21:00 (Tokyo),
    ``other_kwh`` otherwise (what peak shift reads: use by local hour)."""
    rows = []
    for back in range(1, days + 1):
        day = TODAY - timedelta(days=back)
        start = datetime.combine(day, time(), tzinfo=TOKYO)
        for slot in range(48):
            ts = start + timedelta(minutes=30 * slot)
            value = peak_kwh if 17 <= ts.hour < 21 else other_kwh
            rows.append(Reading(meter=meter, ts=ts.astimezone(UTC), value=value))
    Reading.objects.bulk_create(rows)
