"""A realistic cold-region demo data set, generated deterministically from a seed.

Weather follows climate normals with day-to-day noise; electricity has a standby baseload and
morning and evening peaks; gas is dominated by space heating driven by heating degree days,
plus hot water. Some meters get an intervention after which use falls by a known fraction,
recorded as ``Intervention.true_saving_fraction``: ground truth for the savings engine.

Everything is stored through the real ingest service (``batch_receive`` and
``batch_process``), so the demo exercises the same path as a meter gateway.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from energy.access import BUSINESS_STAFF, DATA_TEAM, METER_GATEWAYS, groups_ensure
from energy.apikeys.models import ApiScope
from energy.apikeys.services import api_key_create
from energy.bills.parse import PeriodRow
from energy.bills.services import billing_periods_import
from energy.ingest.services import batch_process, batch_receive
from energy.models import (
    Commodity,
    DemoHousehold,
    DwellingType,
    HeatingFuel,
    Meter,
    Premise,
    Region,
    Unit,
    WeatherObservation,
)
from energy.partitions.services import readings_partitions_ensure
from energy.savings.generate import recommendations_generate
from energy.savings.models import Intervention
from energy.tariffs.models import (
    ElectricityTariff,
    ElectricityTariffVersion,
    EmissionFactor,
    FuelCostAdjustment,
    GasRawMaterialAdjustment,
    GasTariff,
    GasTariffVersion,
    GasUsageBand,
)

# Monthly mean temperatures (°C), January to December. Sapporo: JMA 1991-2020 normals.
# Asahikawa and Hakodate: approximate JMA normals, for variety across the region.
CLIMATE_NORMALS_C = {
    "Sapporo": [-3.2, -2.7, 1.1, 7.3, 13.0, 17.0, 21.1, 22.3, 18.6, 12.1, 5.2, -0.9],
    "Asahikawa": [-7.5, -6.7, -2.0, 5.0, 11.6, 16.3, 20.3, 21.1, 16.3, 9.4, 2.2, -4.4],
    "Hakodate": [-2.6, -2.1, 1.5, 7.0, 11.9, 15.8, 19.7, 22.0, 18.7, 12.4, 5.8, -0.4],
}
# What customers read for each region: Japanese and English (the key stays the identifier).
REGION_NAMES = {
    "Sapporo": ("札幌", "Sapporo"),
    "Asahikawa": ("旭川", "Asahikawa"),
    "Hakodate": ("函館", "Hakodate"),
}
TIME_ZONE = "Asia/Tokyo"
HEATING_BASE_C = 18.0  # heating degree days base used by the generator

DEMO_PASSWORD = "shoene-demo-2026"  # printed for local demos only; seed_demo is not for production


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str | None
    # The demo API key's scopes; its secret is fixed (demo_api_secret) so it can be printed again.
    scopes: tuple[str, ...]
    superuser: bool = False
    staff: bool = False
    groups: tuple[str, ...] = ()


DEMO_LOGINS = [
    DemoLogin("demo", "customer with two homes (portal)", DEMO_PASSWORD, ()),
    DemoLogin("demo2", "another customer (portal)", DEMO_PASSWORD, ()),
    DemoLogin(
        "staff",
        "business staff (admin: flags)",
        DEMO_PASSWORD,
        (),
        staff=True,
        groups=(BUSINESS_STAFF,),
    ),
    DemoLogin(
        "data",
        "data team (API)",
        DEMO_PASSWORD,
        (ApiScope.EXPORT, ApiScope.EXPERIMENTS_READ),
        groups=(DATA_TEAM,),
    ),
    DemoLogin(
        "gateway", "meter gateway (ingest API)", None, (ApiScope.INGEST,), groups=(METER_GATEWAYS,)
    ),
    DemoLogin(
        "admin", "developer superuser (admin)", DEMO_PASSWORD, (), superuser=True, staff=True
    ),
]


def daily_temperatures(
    *, normals: list[float], days: list[date], rng: np.random.Generator, shared_noise: np.ndarray
) -> np.ndarray:
    """Daily mean temperatures: the normals interpolated smoothly by day of year, plus noise.

    The noise is an AR(1) series (weather persists for days), partly shared across regions.
    """
    # Anchor each month's normal at its middle (day-of-year ~ 15, 46, ...), wrap the year.
    mids = np.array([15.5 + 30.44 * m for m in range(12)])
    anchors = np.concatenate([mids - 365.25, mids, mids + 365.25])
    values = np.concatenate([normals, normals, normals])
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    normal = np.interp(doy, anchors, values)
    local = _ar1(len(days), rng, phi=0.6, sigma=1.2)
    return normal + shared_noise[: len(days)] + local


def _ar1(n: int, rng: np.random.Generator, *, phi: float, sigma: float) -> np.ndarray:
    noise = rng.normal(0.0, sigma, n)
    series = np.empty(n)
    previous = 0.0
    for i in range(n):
        previous = phi * previous + noise[i]
        series[i] = previous
    return series


@dataclass(frozen=True)
class Household:
    dwelling_type: str
    floor_area_m2: float
    household_size: int
    heating_fuel: str
    # Always-on use is devices on standby (the part a household can cut) plus fixed loads: the
    # fridge's floor, the 24-hour ventilation fan Japanese homes have had to have since 2003, a
    # router. ECCJ's survey puts average standby near 26 W (228 kWh a year).
    standby_watts: float
    fixed_watts: float
    electric_heating_kwh_per_hdd: float
    gas_heating_m3_per_hdd: float
    hot_water_m3_per_day: float

    @property
    def always_on_kwh_per_30min(self) -> float:
        return (self.standby_watts + self.fixed_watts) / 1000 / 2

    @property
    def activity_kwh_per_day(self) -> float:
        return 2.2 + 1.4 * self.household_size


def household_draw(rng: np.random.Generator) -> Household:
    dwelling = rng.choice(
        [DwellingType.DETACHED, DwellingType.APARTMENT, DwellingType.TERRACED, DwellingType.SHOP],
        p=[0.45, 0.35, 0.12, 0.08],
    )
    area = {
        DwellingType.DETACHED: rng.uniform(90, 150),
        DwellingType.APARTMENT: rng.uniform(40, 80),
        DwellingType.TERRACED: rng.uniform(65, 100),
        DwellingType.SHOP: rng.uniform(50, 140),
    }[dwelling]
    size = int(rng.integers(1, 6)) if dwelling != DwellingType.SHOP else int(rng.integers(1, 4))
    # Apartments lose less heat per m² (neighbours on several sides).
    envelope = 0.6 if dwelling == DwellingType.APARTMENT else 1.0
    electric_heat = rng.random() < 0.25  # some homes heat with heat pumps
    return Household(
        dwelling_type=str(dwelling),
        floor_area_m2=round(float(area), 1),
        household_size=size,
        heating_fuel=HeatingFuel.HEAT_PUMP if electric_heat else HeatingFuel.GAS,
        standby_watts=float(rng.uniform(10, 70)),
        fixed_watts=float(rng.uniform(40, 100)),
        electric_heating_kwh_per_hdd=(
            float(area * envelope * rng.uniform(0.010, 0.016))
            if electric_heat
            else float(rng.uniform(0.02, 0.08))  # fans and pumps of a gas heater
        ),
        gas_heating_m3_per_hdd=(
            # A gas stove in one room on the coldest evenings.
            float(area * envelope * rng.uniform(0.0002, 0.0006))
            if electric_heat
            else float(area * envelope * rng.uniform(0.0030, 0.0045))
        ),
        hot_water_m3_per_day=float(0.25 + 0.3 * size * rng.uniform(0.8, 1.2)),
    )


# Share of a day's activity-driven use in each half-hour (local time), before normalising:
# a morning peak, a lower daytime level, a long evening peak.
_ACTIVITY_30MIN = np.array(
    [0.3] * 12
    + [0.6, 1.2, 1.8, 1.6, 1.0, 0.8]
    + [0.6] * 18
    + [1.0, 1.6, 2.0, 2.2, 2.2, 2.0, 1.8, 1.5, 1.1, 0.8, 0.5, 0.4]
)
_ACTIVITY_30MIN = _ACTIVITY_30MIN / _ACTIVITY_30MIN.sum()
# Before 06:00 activity is intermittent (a fridge's compressor cycling, a light on the way to
# the bathroom): each of these half hours has some in about half the nights, so most nights
# have a half hour of always-on use alone, as real meters show.
_NIGHT_SLOTS = 12
_NIGHT_ACTIVE_PROBABILITY = 0.5
# Heating per hour: setback at night, highest in the morning and evening.
_HEATING_HOURLY = np.array(
    [0.6] * 5 + [1.4, 1.8, 1.5] + [1.0] * 9 + [1.4, 1.6, 1.5, 1.3, 1.1] + [0.8, 0.7]
)
_HEATING_HOURLY = _HEATING_HOURLY / _HEATING_HOURLY.sum()
_HEATING_30MIN = np.repeat(_HEATING_HOURLY, 2) / 2
# Hot water per hour: morning showers, evening baths.
_HOT_WATER_HOURLY = np.array(
    [0.1] * 6 + [1.0, 1.2, 0.6] + [0.3] * 9 + [0.8, 1.6, 2.0, 2.2, 1.4, 0.5]
)
_HOT_WATER_HOURLY = _HOT_WATER_HOURLY / _HOT_WATER_HOURLY.sum()


def electricity_series(
    *, household: Household, hdd: np.ndarray, weekend: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """kWh per 30 minutes, shape (days, 48)."""
    daily_activity = household.activity_kwh_per_day * np.where(weekend, 1.15, 1.0)
    per_slot = daily_activity[:, None] * _ACTIVITY_30MIN[None, :]
    per_slot[:, :_NIGHT_SLOTS] *= rng.random((per_slot.shape[0], _NIGHT_SLOTS)) < (
        _NIGHT_ACTIVE_PROBABILITY
    )
    heating = (household.electric_heating_kwh_per_hdd * hdd)[:, None] * _HEATING_30MIN[None, :]
    always_on = household.always_on_kwh_per_30min * rng.uniform(0.95, 1.05, size=per_slot.shape)
    noise = rng.lognormal(mean=-0.03, sigma=0.25, size=per_slot.shape)
    return always_on + (per_slot + heating) * noise


def household_truth(household: Household) -> dict:
    """The generator's true parameters of a household, as ``DemoHousehold`` fields."""
    weekly = (5 + 2 * 1.15) / 7
    night_share = float(_ACTIVITY_30MIN[:_NIGHT_SLOTS].sum())
    activity = (
        household.activity_kwh_per_day
        * weekly
        * (1 - night_share * (1 - _NIGHT_ACTIVE_PROBABILITY))
    )
    always_on = household.always_on_kwh_per_30min * 48
    return {
        "heating_fuel": household.heating_fuel,
        "always_on_kwh_per_day": always_on,
        "standby_kwh_per_day": household.standby_watts * 24 / 1000,
        "base_load_kwh_per_day": always_on + activity,
        "electricity_kwh_per_hdd": household.electric_heating_kwh_per_hdd,
        "gas_m3_per_hdd": household.gas_heating_m3_per_hdd,
        "hot_water_m3_per_day": household.hot_water_m3_per_day,
        "heating_base_c": HEATING_BASE_C,
    }


def gas_series(
    *, household: Household, hdd: np.ndarray, temperature_c: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """m³ per hour, shape (days, 24)."""
    heating = (household.gas_heating_m3_per_hdd * hdd)[:, None] * _HEATING_HOURLY[None, :]
    # Colder mains water in winter needs more gas for the same hot water.
    hot_water_daily = household.hot_water_m3_per_day * (1.0 + 0.025 * (15.0 - temperature_c))
    hot_water = np.clip(hot_water_daily, 0.1, None)[:, None] * _HOT_WATER_HOURLY[None, :]
    noise = rng.lognormal(mean=-0.03, sigma=0.25, size=heating.shape)
    return (heating + hot_water) * noise


# Decimals of the demo's readings as delivered (and so as stored and billed).
READING_DECIMALS = 3


def readings_csv(
    *,
    serial: str,
    days: list[date],
    values: np.ndarray,
    tz: ZoneInfo,
    decimals: int = READING_DECIMALS,
) -> str:
    """A CSV ingest body (meter,ts,value) for a (days, intervals per day) array of values."""
    per_day = values.shape[1]
    step = timedelta(minutes=1440 // per_day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["meter", "ts", "value"])
    for day, row in zip(days, values, strict=True):
        start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        for slot, value in enumerate(row):
            writer.writerow([serial, (start + slot * step).isoformat(), f"{value:.{decimals}f}"])
    return out.getvalue()


@dataclass(frozen=True)
class SeedResult:
    premises: int
    meters: int
    readings: int
    rejected: int
    interventions: int
    recommendations: int = 0


def demo_seed(
    *,
    premises: int = 48,
    days: int = 540,
    seed: int = 7,
    end: date | None = None,
    progress: Callable[[Iterator], Iterator] = iter,
) -> SeedResult:
    """Create regions, weather, users, premises, meters and readings for a demo."""
    rng = np.random.default_rng(seed)
    tz = ZoneInfo(TIME_ZONE)
    end = end or (datetime.now(tz).date() - timedelta(days=1))  # the last complete local day
    all_days = [end - timedelta(days=days - 1 - i) for i in range(days)]
    weekend = np.array([d.weekday() >= 5 for d in all_days])

    groups_ensure()
    # PostgreSQL: every month the demo writes has its readings partition before ingest, so its
    # history does not land in the default partition (the first local day starts the day before
    # in UTC).
    readings_partitions_ensure(first=all_days[0] - timedelta(days=1))
    users = _demo_users()
    gateway = users["gateway"]

    # Bills draw from their own generator, so the rest of the demo stays as it was.
    bills_rng = np.random.default_rng([seed, 1])
    shared_noise = _ar1(days, rng, phi=0.75, sigma=2.2)
    regions, temperatures = {}, {}
    for name, normals in CLIMATE_NORMALS_C.items():
        name_ja, name_en = REGION_NAMES[name]
        region, _ = Region.objects.get_or_create(
            name=name, defaults={"time_zone": TIME_ZONE, "name_ja": name_ja, "name_en": name_en}
        )
        regions[name] = region
        temps = daily_temperatures(
            normals=normals, days=all_days, rng=rng, shared_noise=shared_noise
        )
        temperatures[name] = temps
        WeatherObservation.objects.bulk_create(
            [
                WeatherObservation(region=region, date=d, temperature_mean_c=round(float(t), 1))
                for d, t in zip(all_days, temps, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["region", "date"],
            update_fields=["temperature_mean_c"],
        )

    demo_tariffs = tariffs_seed(start=all_days[0], end=end)

    region_names = list(CLIMATE_NORMALS_C)
    owners = [users["demo"], users["demo"], users["demo2"]]
    created_premises: list[Premise] = []
    pending: list[tuple[Meter, str]] = []
    interventions = 0
    first_premise = Premise.objects.count() + 1
    for index in range(premises):
        household = household_draw(rng)
        region_name = region_names[0] if index < 3 else region_names[index % len(region_names)]
        owner = owners[index] if index < len(owners) else _customer(first_premise + index)
        premise = Premise.objects.create(
            owner=owner,
            region=regions[region_name],
            name="自宅 Home"
            if index == 0
            else ("実家 Parents' home" if index == 1 else f"Premise {first_premise + index}"),
            dwelling_type=household.dwelling_type,
            floor_area_m2=household.floor_area_m2,
            household_size=household.household_size,
            # Every third home (the demo customer's second one among them) is on the
            # time-of-use tariff, so peak-shift advice has somewhere to apply.
            electricity_tariff=(
                demo_tariffs.time_of_use if index % 3 == 1 else demo_tariffs.standard
            ),
            gas_tariff=demo_tariffs.gas,
        )
        created_premises.append(premise)
        DemoHousehold.objects.create(premise=premise, **household_truth(household))
        temps = temperatures[region_name]
        hdd = np.clip(HEATING_BASE_C - temps, 0.0, None)
        series = {
            Commodity.ELECTRICITY: electricity_series(
                household=household, hdd=hdd, weekend=weekend, rng=rng
            ),
            Commodity.GAS: gas_series(household=household, hdd=hdd, temperature_c=temps, rng=rng),
        }
        for commodity, values in series.items():
            meter = Meter.objects.create(
                premise=premise,
                serial=f"{'E' if commodity == Commodity.ELECTRICITY else 'G'}-{premise.pk:05d}",
                commodity=commodity,
                unit=Unit.KWH if commodity == Commodity.ELECTRICITY else Unit.M3,
                interval_minutes=1440 // values.shape[1],
                installed_on=all_days[0],
            )
            # About a third of meters get an intervention in the last third of the period,
            # after which use falls by a known fraction (insulation, a new boiler, LEDs).
            if days >= 120 and rng.random() < 0.35:
                when = len(all_days) - int(rng.integers(60, max(61, days // 3)))
                fraction = round(float(rng.uniform(0.08, 0.2)), 3)
                values[when:] *= 1.0 - fraction
                Intervention.objects.create(
                    meter=meter,
                    date=all_days[when],
                    true_saving_fraction=fraction,
                    description=(
                        "Insulation and a condensing boiler"
                        if commodity == Commodity.GAS
                        else "LED lighting and standby cut"
                    ),
                )
                interventions += 1
            pending.append(
                (meter, readings_csv(serial=meter.serial, days=all_days, values=values, tz=tz))
            )
            if index < len(owners) and commodity == Commodity.GAS:
                # The demo customers' gas bills, as the utility billed them monthly.
                demo_bills_seed(meter=meter, days=all_days, values=values, rng=bills_rng)

    readings = rejected = 0
    for _meter, body in progress(pending):
        with transaction.atomic():
            batch, _ = batch_receive(
                client=gateway,
                body=body.encode(),
                content_type="text/csv",
                source="demo",
                enqueue=False,
            )
        # Every premise's recommendations are computed once below, not after each meter.
        batch = batch_process(batch_id=batch.pk, recommendations_follow=False)
        readings += (
            batch.accepted_count + batch.duplicate_count + batch.corrected_count + batch.stale_count
        )
        rejected += batch.rejected_count
    # Recommendations for every premise as of the day after the data end (the nightly job's
    # work), so the portal and API have them from the start.
    summary = recommendations_generate(
        premise_ids=list(Premise.objects.values_list("pk", flat=True)),
        today=end + timedelta(days=1),
    )
    return SeedResult(
        len(created_premises),
        len(pending),
        readings,
        rejected,
        interventions,
        summary.created + summary.updated,
    )


def demo_bills_seed(
    *, meter: Meter, days: list[date], values: np.ndarray, rng: np.random.Generator
) -> int:
    """Monthly gas bills over the demo's days: read every 28 to 33 days, each bill the sum of
    the readings it covers as they are stored (rounded as ``readings_csv`` writes them; the
    first bill estimated, as when the reader found nobody home)."""
    daily = np.array(
        [sum(float(f"{value:.{READING_DECIMALS}f}") for value in row) for row in values],
        dtype=np.float64,
    )
    periods, first = [], 0
    while True:
        length = int(rng.integers(28, 34))
        if first + length > len(days):
            break
        periods.append(
            PeriodRow(
                line=len(periods) + 1,
                start=days[first],
                end=days[first + length - 1],
                usage=round(float(daily[first : first + length].sum()), 3),
                estimated=len(periods) == 0,
            )
        )
        first += length
    billing_periods_import(meter=meter, periods=periods)
    return len(periods)


# --- Tariffs and emission factors ------------------------------------------------------------
#
# Approximate, for a demo only; staff enter the published figures in the admin.

# Hokkaido Electric 従量電灯B, the June 2023 regulated tariff as listed for 2024 (e.g.
# sfplan.jp "ほくでん電気料金プラン13種の単価比較表"): 402.6 JPY per 10 A a month (30 A here),
# tiers up to 120 kWh / 121-280 kWh / above 280 kWh. Hokkaido's second limit is 280, not the
# 300 most utilities use.
STANDARD_TARIFF = {
    "name": "従量電灯B 30A (ほくでん, approx.)",
    "basic_charge_jpy": "1207.80",
    "tier1_limit_kwh": 120,
    "tier2_limit_kwh": 280,
    "prices_jpy_per_kwh": ("35.35", "41.64", "45.36"),
}
# A three-band time-of-use tariff shaped like Hokkaido Electric's eタイム3プラス (peak in the
# evening, cheap nights). Illustrative prices, not that plan's published ones.
TIME_OF_USE_TARIFF = {
    "name": "時間帯別 3区分 (illustrative)",
    "basic_charge_jpy": "1207.80",
    # (identifier, Japanese, English, from, until, JPY/kWh)
    "bands": (
        ("night", "夜間", "night", 22, 8, "28.00"),
        ("day", "昼間", "day", 8, 17, "40.00"),
        ("peak", "ピーク", "peak", 17, 22, "48.00"),
    ),
}
# 再エネ賦課金, national, per fiscal year from May (METI announcements): FY2023 1.40, FY2024
# 3.49, FY2025 3.98 JPY/kWh. The FY2025 version stays open until staff add FY2026's.
RENEWABLE_LEVY_JPY_PER_KWH = [
    (date(2023, 5, 1), "1.40"),
    (date(2024, 5, 1), "3.49"),
    (date(2025, 5, 1), "3.98"),
]
# 燃料費調整額 by calendar month, January first. Illustrative values of the size Hokkaido
# Electric published for 従量電灯B in 2024-25 (negative, e.g. -8.06 JPY/kWh for one November),
# not the published series; rounded to 0.5 JPY so nobody mistakes them for it.
FUEL_ADJUSTMENT_JPY_PER_KWH = [
    "-7.0", "-7.5", "-8.0", "-8.5", "-8.0", "-7.5", "-6.5", "-6.0", "-6.5", "-7.5", "-8.0", "-7.5",
]  # fmt: skip
# City-gas general tariff with the five usage tables of Hokkaido Gas's 一般料金 (A to E), prices
# rounded from a published table that follows it ("ほくでんガスプラン for au [一般料金]",
# au.com, 2025; tax included, before the raw-material adjustment). The tables are priced so the
# bill is continuous at each limit (e.g. at 15 m³: 926 + 15 × 196.6 ≈ 1,424 + 15 × 163.4).
GAS_TARIFF = {
    "name": "一般料金 (北海道ガス型, approx.)",
    "tables": (
        ("A", "15", "926", "196.6"),
        ("B", "50", "1424", "163.4"),
        ("C", "200", "1972", "152.4"),
        ("D", "800", "7545", "124.6"),
        ("E", None, "9709", "121.9"),
    ),
}
# 原料費調整額 by calendar month, January first: illustrative, not published values.
GAS_ADJUSTMENT_JPY_PER_M3 = [
    "14", "15", "15", "14", "13", "12", "11", "11", "12", "13", "14", "14",
]  # fmt: skip
# Electricity: about 0.55 kg-CO2/kWh, the order of Hokkaido Electric's adjusted emission factor
# (調整後排出係数) in recent Ministry of the Environment lists (approximate).
# Gas: 2.23 kg-CO2/m³ for 13A city gas = 44.8 MJ/m³ (the standard calorific value of city gas
# under the GHG reporting rules) × 0.0499 kg-CO2/MJ; at Hokkaido Gas's 45 MJ/m³ it is 2.25.
EMISSION_FACTORS = {
    Commodity.ELECTRICITY: ("0.55", "Hokkaido Electric adjusted factor, approximate"),
    Commodity.GAS: ("2.23", "13A city gas: 44.8 MJ/m³ × 0.0499 kg-CO2/MJ"),
}


@dataclass(frozen=True)
class DemoTariffs:
    standard: ElectricityTariff
    time_of_use: ElectricityTariff
    gas: GasTariff


def _month_starts(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _electricity_tariff_seed(spec: dict, first_month: date) -> ElectricityTariff:
    tariff, created = ElectricityTariff.objects.get_or_create(
        name=spec["name"], defaults={"utility": "北海道電力 Hokkaido Electric (demo)"}
    )
    if created:
        levies = list(RENEWABLE_LEVY_JPY_PER_KWH)
        for index, (valid_from, levy) in enumerate(levies):
            following = levies[index + 1][0] if index + 1 < len(levies) else None
            prices = spec.get("prices_jpy_per_kwh", ("35.35", "41.64", "45.36"))
            version = ElectricityTariffVersion.objects.create(
                tariff=tariff,
                # The demo extends the first version back so a long demo period has prices.
                valid_from=min(valid_from, first_month) if index == 0 else valid_from,
                valid_until=following - timedelta(days=1) if following else None,
                basic_charge_jpy=spec["basic_charge_jpy"],
                tier1_limit_kwh=spec.get("tier1_limit_kwh", 120),
                tier2_limit_kwh=spec.get("tier2_limit_kwh", 280),
                tier1_price_jpy_per_kwh=prices[0],
                tier2_price_jpy_per_kwh=prices[1],
                tier3_price_jpy_per_kwh=prices[2],
                renewable_levy_jpy_per_kwh=levy,
            )
            for name, name_ja, name_en, start_hour, end_hour, price in spec.get("bands", ()):
                version.bands.create(
                    name=name,
                    name_ja=name_ja,
                    name_en=name_en,
                    start_hour=start_hour,
                    end_hour=end_hour,
                    price_jpy_per_kwh=price,
                )
    else:
        ElectricityTariffVersion.objects.filter(
            tariff=tariff,
            valid_from__gt=first_month,
            pk=tariff.versions.order_by("valid_from").values("pk")[:1],
        ).update(valid_from=first_month)
    return tariff


def tariffs_seed(*, start: date, end: date) -> DemoTariffs:
    """Demo tariffs, monthly adjustments and emission factors covering ``start`` to ``end``.

    Idempotent: existing tariffs are reused (their first version reaching back to ``start``),
    monthly adjustments added where missing, emission factors created only if there are none.
    """
    # Two months past the end, so "this month" has its adjustment the day after the data ends.
    months = _month_starts(start, end + timedelta(days=62))
    standard = _electricity_tariff_seed(STANDARD_TARIFF, months[0])
    time_of_use = _electricity_tariff_seed(TIME_OF_USE_TARIFF, months[0])
    FuelCostAdjustment.objects.bulk_create(
        [
            FuelCostAdjustment(
                tariff=tariff,
                month=month,
                jpy_per_kwh=FUEL_ADJUSTMENT_JPY_PER_KWH[month.month - 1],
            )
            for tariff in (standard, time_of_use)
            for month in months
        ],
        ignore_conflicts=True,
    )

    gas, created = GasTariff.objects.get_or_create(
        name=GAS_TARIFF["name"], defaults={"utility": "北海道ガス型 (demo)"}
    )
    if created:
        version = GasTariffVersion.objects.create(tariff=gas, valid_from=months[0])
        GasUsageBand.objects.bulk_create(
            [
                GasUsageBand(
                    version=version,
                    label=label,
                    up_to_m3=up_to,
                    basic_charge_jpy=basic,
                    unit_price_jpy_per_m3=unit,
                )
                for label, up_to, basic, unit in GAS_TARIFF["tables"]
            ]
        )
    else:
        GasTariffVersion.objects.filter(
            tariff=gas,
            valid_from__gt=months[0],
            pk=gas.versions.order_by("valid_from").values("pk")[:1],
        ).update(valid_from=months[0])
    GasRawMaterialAdjustment.objects.bulk_create(
        [
            GasRawMaterialAdjustment(
                tariff=gas, month=month, jpy_per_m3=GAS_ADJUSTMENT_JPY_PER_M3[month.month - 1]
            )
            for month in months
        ],
        ignore_conflicts=True,
    )

    for commodity, (factor, source) in EMISSION_FACTORS.items():
        earliest = EmissionFactor.objects.filter(commodity=commodity).order_by("valid_from").first()
        if earliest is None:
            EmissionFactor.objects.create(
                commodity=commodity, kg_co2_per_unit=factor, valid_from=start, source=source
            )
        elif earliest.valid_from > start:
            EmissionFactor.objects.filter(pk=earliest.pk).update(valid_from=start)
    return DemoTariffs(standard=standard, time_of_use=time_of_use, gas=gas)


def _demo_users() -> dict:
    User = get_user_model()
    users = {}
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={
                "email": f"{login.username}@demo.shoene.local",
                "is_staff": login.staff,
                "is_superuser": login.superuser,
            },
        )
        if created:
            if login.password:
                user.set_password(login.password)
            else:
                user.set_unusable_password()
            user.save()
        for name in login.groups:
            user.groups.add(Group.objects.get(name=name))
        if login.scopes and not user.api_keys.exists():
            api_key_create(
                name=f"demo {login.username}",
                user=user,
                scopes=login.scopes,
                secret=demo_api_secret(login.username),
            )
        users[login.username] = user
    return users


def _customer(number: int):
    user, created = get_user_model().objects.get_or_create(
        username=f"customer{number:03d}",
        defaults={"email": f"customer{number:03d}@demo.shoene.local"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def demo_api_secret(username: str) -> str:
    """The demo key's secret: fixed, like the demo password, so every `make run` can print it."""
    return f"shoene_demo{username}_{DEMO_PASSWORD}-{username}-api-key"


def demo_logins_table() -> list[tuple[str, str, str, str]]:
    """(username, role, password, API key) for each demo login that exists."""
    User = get_user_model()
    rows = []
    for login in DEMO_LOGINS:
        user = User.objects.filter(username=login.username).first()
        if user is None:
            continue
        key = demo_api_secret(login.username) if login.scopes else "-"
        rows.append((login.username, login.role, login.password or "-", key))
    return rows
