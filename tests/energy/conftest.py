import pytest
from django.core.cache import cache

from tests import factories
from tests.energy.recommendation_homes import (
    days_before,
    neighbourhood_create,
    seasonal_temperatures,
    weather_create,
)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Recommendation runs cache the day's cohorts; every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def town(db):
    """Sapporo with a year of weather and 12 ordinary detached 3–4 person homes."""
    region = factories.RegionFactory(name="Sapporo")
    days = days_before()
    temperature_c = seasonal_temperatures(days)
    weather_create(region, days, temperature_c)
    homes = neighbourhood_create(region=region, temperature_c=temperature_c, days=days)
    return {"region": region, "days": days, "temperature_c": temperature_c, "homes": homes}
