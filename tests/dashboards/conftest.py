"""A customer's home with a year and a bit of data, written directly as rollups.

Numbers are round so pages can be checked by hand: electricity 10 kWh a day in the last 60
days and 12 kWh before, gas 2 m³ a day; 5 °C in the last 60 days and 2 °C before. Tariffs are
the factories' round ones: electricity tiers 30 / 40 / 50 yen at 120 / 300 kWh, basic 1,000
yen, fuel adjustment 2 yen and levy 3 yen per kWh; gas 200 yen per m³ + 10 yen adjustment,
basic 1,000 yen. Emission factors 0.5 kg per kWh and 2.0 kg per m³.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from energy.models import Commodity, DailyUsage, Reading, WeatherObservation
from energy.savings.models import Recommendation
from tests import factories

TOKYO = ZoneInfo("Asia/Tokyo")
HISTORY_DAYS = 430
RECENT_DAYS = 60


def electricity_kwh(day: date, today: date) -> float:
    return 10.0 if (today - day).days <= RECENT_DAYS else 12.0


def temperature_c(day: date, today: date) -> float:
    return 5.0 if (today - day).days <= RECENT_DAYS else 2.0


def month_starts(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


@dataclass
class Home:
    customer: object
    premise: object
    electricity: object
    gas: object
    today: date
    days: list[date]


def home_create(*, region, owner, today: date, serial_prefix: str, with_readings: bool = True):
    days = [today - timedelta(days=HISTORY_DAYS - i) for i in range(HISTORY_DAYS)]
    version = factories.ElectricityTariffVersionFactory()
    gas_version = factories.GasTariffVersionFactory()
    factories.GasUsageBandFactory(version=gas_version)
    for month in month_starts(days[0], today):
        factories.FuelCostAdjustmentFactory(tariff=version.tariff, month=month)
        factories.GasRawMaterialAdjustmentFactory(tariff=gas_version.tariff, month=month)
    premise = factories.PremiseFactory(
        owner=owner,
        region=region,
        name=f"{serial_prefix} home",
        electricity_tariff=version.tariff,
        gas_tariff=gas_version.tariff,
    )
    electricity = factories.MeterFactory(
        premise=premise, serial=f"{serial_prefix}-E", commodity=Commodity.ELECTRICITY, unit="kWh"
    )
    gas = factories.MeterFactory(
        premise=premise, serial=f"{serial_prefix}-G", commodity=Commodity.GAS, unit="m3"
    )
    rows = []
    for day in days:
        noon = datetime.combine(day, time(12), tzinfo=TOKYO)
        for meter, total in ((electricity, electricity_kwh(day, today)), (gas, 2.0)):
            rows.append(
                DailyUsage(
                    meter=meter,
                    date=day,
                    total=total,
                    baseload=total / 96,
                    peak=total / 24,
                    peak_at=noon,
                    night_total=total / 6,
                    intervals=48,
                )
            )
    DailyUsage.objects.bulk_create(rows)
    if with_readings:
        yesterday = today - timedelta(days=1)
        start = datetime.combine(yesterday, time(), tzinfo=TOKYO).astimezone(UTC)
        Reading.objects.bulk_create(
            Reading(
                meter=electricity,
                ts=start + timedelta(minutes=30 * i),
                value=electricity_kwh(yesterday, today) / 48,
            )
            for i in range(48)
        )
    return Home(owner, premise, electricity, gas, today, days)


def recommendations_create(home: Home) -> dict[str, Recommendation]:
    """One of each kind, as the engine writes them (numbers in the basis)."""
    now = timezone.now()
    cohort = {
        "level": "region_dwelling_fuel",
        "region": "Sapporo",
        "dwelling_type": "detached",
        "heating_fuel": "gas",
        "size_band": None,
        "n_homes": 12,
    }
    common = {"premise": home.premise, "computed_at": now, "confidence": "medium"}
    specs = {
        "standby": dict(
            meter=home.electricity,
            unit="kWh",
            saving_per_year=180.0,
            saving_jpy=7_380.0,
            saving_co2_kg=90.0,
            basis={
                "own_kwh_per_day": 2.9,
                "own_watts": 120.8,
                "cohort_kwh_per_day": 1.9,
                "cohort_watts": 79.2,
                "reducible_percent": 50.0,
                "always_on_share_percent": 25.6,
                "days_with_data": 120,
                "cohort": cohort,
                "heating_fuel": "gas",
                "price_jpy_per_unit": 41.0,
                "co2_kg_per_unit": 0.5,
            },
        ),
        "heating": dict(
            meter=home.gas,
            unit="m3",
            saving_per_year=60.0,
            saving_jpy=12_600.0,
            saving_co2_kg=120.0,
            basis={
                "own_per_hdd": 0.35,
                "own_per_hdd_100m2": 0.29,
                "cohort_per_hdd_100m2": 0.23,
                "cohort_p25_per_hdd_100m2": 0.2,
                "cohort_p75_per_hdd_100m2": 0.27,
                "percent_above": 25.0,
                "heating_days": 230,
                "cohort": cohort,
                "heating_fuel": "gas",
                "price_jpy_per_unit": 210.0,
                "co2_kg_per_unit": 2.0,
            },
        ),
        # A comparison, not a saving: no kWh, yen or CO2.
        "similar_homes": dict(
            meter=home.electricity,
            unit="kWh",
            basis={
                "own_value": 4_100.0,
                "efficient_value": 3_400.0,
                "median_value": 3_900.0,
                "cohort_p25_value": 3_500.0,
                "cohort_p75_value": 4_400.0,
                "percent_more": 20.6,
                "percentile": 64.0,
                "cohort": cohort,
                "heating_fuel": "gas",
                "price_jpy_per_unit": 41.0,
                "co2_kg_per_unit": 0.5,
            },
        ),
        "high_usage": dict(
            meter=home.electricity,
            unit="kWh",
            is_alert=True,
            basis={
                "week_value": 95.0,
                "expected_value": 70.0,
                "excess_value": 25.0,
                "excess_percent": 35.7,
                "excess_yen": 1_025.0,
                "days": 7,
                "interval_half_width": 8.0,
                "price_jpy_per_unit": 41.0,
            },
        ),
        "bill_forecast": dict(
            meter=home.electricity,
            unit="kWh",
            basis={
                "month": home.today.strftime("%Y-%m"),
                "to_date_value": 260.0,
                "forecast_value": 300.0,
                "forecast_yen": 13_300.0,
                "days_observed": 26,
                "days_predicted": 4,
            },
        ),
    }
    return {
        kind: Recommendation.objects.create(kind=kind, **common, **spec)
        for kind, spec in specs.items()
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Waffle caches flags: every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sapporo(db):
    return factories.RegionFactory(name="Sapporo", time_zone="Asia/Tokyo")


def weather_and_factors_create(*, region, days: list[date], today: date) -> None:
    WeatherObservation.objects.bulk_create(
        WeatherObservation(region=region, date=day, temperature_mean_c=temperature_c(day, today))
        for day in days
    )
    factories.EmissionFactorFactory(commodity="electricity", kg_co2_per_unit="0.5")
    factories.EmissionFactorFactory(commodity="gas", kg_co2_per_unit="2.0")


@pytest.fixture
def home(sapporo):
    """The customer's home: a year and two months of rollups, yesterday's readings, weather."""
    today = timezone.localdate()
    owner = factories.UserFactory(username="hanako")
    home = home_create(region=sapporo, owner=owner, today=today, serial_prefix="HANAKO")
    weather_and_factors_create(region=sapporo, days=home.days, today=today)
    return home


@pytest.fixture
def neighbour(home, sapporo):
    """Another customer of the same town, with a home of their own."""
    owner = factories.UserFactory(username="taro")
    return home_create(
        region=sapporo, owner=owner, today=home.today, serial_prefix="TARO", with_readings=False
    )


@pytest.fixture
def customer_client(client, home):
    client.force_login(home.customer)
    return client


@pytest.fixture
def english_client(customer_client):
    """The customer, having chosen English with the language switch (the cookie it sets)."""
    customer_client.cookies["django_language"] = "en"
    return customer_client
