"""Regions and time-of-use bands are named in the page's language: a Japanese page says 札幌 and
ピーク, an English one Sapporo and peak, and neither shows the raw identifier in a sentence."""

import html
import re

import pytest
from django.urls import reverse

from energy.savings.generate import recommendations_generate
from energy.savings.models import Recommendation
from tests import factories
from tests.energy.recommendation_homes import (
    TODAY,
    days_before,
    half_hourly_readings,
    home_create,
    neighbourhood_create,
    seasonal_temperatures,
    weather_create,
)

pytestmark = pytest.mark.django_db


def sentences(response) -> str:
    """The page's visible text: tags, scripts and styles removed (identifiers in attributes such
    as ``data-kind="peak_shift"`` are not read by anyone)."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def customer_on_time_of_use(client):
    """A customer in 札幌 / Sapporo on a time-of-use tariff whose dearest band is ピーク / peak,
    with the engine's recommendations (12 similar homes around it, so cohorts name the region)."""
    region = factories.RegionFactory(name="Sapporo", name_ja="札幌", name_en="Sapporo")
    days = days_before()
    temperature_c = seasonal_temperatures(days)
    weather_create(region, days, temperature_c)
    neighbours = neighbourhood_create(region=region, temperature_c=temperature_c, days=days)
    customer = factories.UserFactory(username="aiko")
    premise, meter, _ = home_create(
        region=region,
        temperature_c=temperature_c,
        days=days,
        owner=customer,
        standby_kwh_per_30min=0.09,  # more than the neighbours: standby advice, with its cohort
    )
    version = factories.ElectricityTariffVersionFactory()
    factories.FuelCostAdjustmentFactory(tariff=version.tariff, month=TODAY.replace(day=1))
    for name, name_ja, name_en, start, end, price in (
        ("peak", "ピーク", "peak", 17, 21, 60),
        ("day", "昼間", "day", 8, 17, 35),
        ("night", "夜間", "night", 21, 8, 20),
    ):
        factories.TimeOfUseBandFactory(
            version=version,
            name=name,
            name_ja=name_ja,
            name_en=name_en,
            start_hour=start,
            end_hour=end,
            price_jpy_per_kwh=price,
        )
    premise.electricity_tariff = version.tariff
    premise.save()
    half_hourly_readings(meter, days=90, peak_kwh=0.5, other_kwh=0.1)
    recommendations_generate(
        premise_ids=[premise.pk, *(home[0].pk for home in neighbours)], today=TODAY
    )
    client.force_login(customer)
    return premise


def recommendations_page(client, premise, language: str):
    client.cookies["django_language"] = language
    response = client.get(reverse("dashboards:recommendations", args=[premise.pk]))
    assert response.status_code == 200
    return response


def test_the_region_of_similar_homes_is_named_in_the_pages_language(
    customer_on_time_of_use, client
):
    premise = customer_on_time_of_use
    standby = Recommendation.objects.get(premise=premise, kind="standby")
    assert standby.basis["cohort"]["region"] == "Sapporo"  # the identifier stays as it was

    japanese = sentences(recommendations_page(client, premise, "ja"))
    english = sentences(recommendations_page(client, premise, "en"))

    assert "札幌のガス暖房の戸建て" in japanese
    assert "Sapporo" not in japanese
    assert "gas-heated detached houses in Sapporo" in english
    assert "札幌" not in english


def test_the_peak_band_is_named_in_the_pages_language_once(customer_on_time_of_use, client):
    premise = customer_on_time_of_use
    shift = Recommendation.objects.get(premise=premise, kind="peak_shift")
    assert shift.basis["peak_hours"] == "17:00-21:00"
    assert shift.basis["peak_band"] == {"name": "peak", "name_ja": "ピーク", "name_en": "peak"}

    japanese = sentences(recommendations_page(client, premise, "ja"))
    english = sentences(recommendations_page(client, premise, "en"))

    assert "ピーク時間帯（17:00-21:00）" in japanese  # the title: no "ピーク peak"
    assert "料金が最も高い時間帯「ピーク」（17:00-21:00）の使用量" in japanese
    assert not re.search(r"peak", japanese, re.I)
    assert "Use in your tariff's dearest band, peak (17:00-21:00):" in english
    assert "ピーク" not in english


def test_a_peak_shift_computed_before_bands_had_two_names_shows_only_its_hours(
    customer_on_time_of_use, client
):
    """Until the nightly recomputation rewrites it, a stored basis still holds "<name> <hours>"."""
    premise = customer_on_time_of_use
    shift = Recommendation.objects.get(premise=premise, kind="peak_shift")
    basis = {k: v for k, v in shift.basis.items() if k != "peak_band"}
    Recommendation.objects.filter(pk=shift.pk).update(
        basis={**basis, "peak_hours": "ピーク peak 17:00-21:00"}
    )

    japanese = sentences(recommendations_page(client, premise, "ja"))

    assert "ピーク時間帯（17:00-21:00）" in japanese
    assert "peak" not in japanese
