"""Yen and CO2 on recommendations come from the premise's tariff and the emission factors;
peak shift appears only on a time-of-use tariff."""

import pytest

from energy.savings.generate import recommendations_generate
from energy.savings.models import Recommendation
from tests import factories
from tests.energy.recommendation_homes import (
    TODAY,
    half_hourly_readings,
    home_create,
)


def flat_tariff(*, bands=()):
    """Tiers 30 / 40 / 50 yen at 120 / 300 kWh, levy 3 yen, fuel adjustment 2 yen in January."""
    version = factories.ElectricityTariffVersionFactory()
    factories.FuelCostAdjustmentFactory(tariff=version.tariff, month=TODAY.replace(day=1))
    for name, start, end, price in bands:
        factories.TimeOfUseBandFactory(
            version=version, name=name, start_hour=start, end_hour=end, price_jpy_per_kwh=price
        )
    return version.tariff


def generate(town, *premises):
    everyone = [*premises, *[home[0] for home in town["homes"]]]
    return recommendations_generate(premise_ids=[p.pk for p in everyone], today=TODAY)


def test_standby_saving_is_priced_at_the_marginal_tier_and_the_emission_factor(town):
    factories.EmissionFactorFactory(commodity="electricity", kg_co2_per_unit="0.55")
    premise, meter, _ = home_create(
        region=town["region"],
        temperature_c=town["temperature_c"],
        days=town["days"],
        standby_kwh_per_30min=0.09,
    )
    premise.electricity_tariff = flat_tariff()
    premise.save()

    generate(town, premise)

    standby = Recommendation.objects.get(meter=meter, kind="standby")
    # About 12 kWh a day is about 375 kWh a month: the third tier, 50 + 2 + 3 yen per kWh.
    assert standby.basis["price_jpy_per_unit"] == pytest.approx(55.0)
    assert standby.saving_jpy == pytest.approx(standby.saving_per_year * 55.0)
    assert standby.saving_co2_kg == pytest.approx(standby.saving_per_year * 0.55)
    forecast = Recommendation.objects.get(meter=meter, kind="bill_forecast").basis
    kwh = forecast["forecast_value"]
    by_hand = 1000 + 120 * 30 + 180 * 40 + (kwh - 300) * 50 + kwh * (2 + 3)
    assert forecast["forecast_yen"] == pytest.approx(by_hand)


def test_without_a_tariff_the_yen_figure_stays_empty_with_the_reason(town):
    premise, meter, _ = home_create(
        region=town["region"],
        temperature_c=town["temperature_c"],
        days=town["days"],
        standby_kwh_per_30min=0.09,
    )

    generate(town, premise)

    standby = Recommendation.objects.get(meter=meter, kind="standby")
    assert standby.saving_per_year > 0
    assert standby.saving_jpy is None
    assert standby.basis["yen_missing_reason"] == "no electricity tariff"
    assert standby.saving_co2_kg is None  # no emission factor stored either


def test_a_time_of_use_home_is_told_what_shifting_peak_use_saves(town):
    premise, meter, _ = home_create(
        region=town["region"], temperature_c=town["temperature_c"], days=town["days"]
    )
    premise.electricity_tariff = flat_tariff(
        bands=[("peak", 17, 21, 60), ("day", 8, 17, 35), ("night", 21, 8, 20)]
    )
    premise.save()
    half_hourly_readings(meter, days=90, peak_kwh=0.5, other_kwh=0.1)
    ordinary = town["homes"][0][0]
    ordinary.electricity_tariff = flat_tariff()
    ordinary.save()

    generate(town, premise)

    shift = Recommendation.objects.get(meter=meter, kind="peak_shift")
    basis = shift.basis
    assert basis["peak_hours"] == "17:00-21:00"
    assert basis["peak_band"] == {"name": "peak", "name_ja": "peak", "name_en": "peak"}
    assert basis["peak_use_per_year"] == pytest.approx(8 * 0.5 * 365)  # 8 half-hours a day
    assert basis["price_difference_yen"] == pytest.approx(60 - 20)
    assert shift.saving_jpy == pytest.approx(8 * 0.5 * 365 * 0.2 * 40)
    assert shift.saving_co2_kg is None  # moving use saves yen, not kWh
    assert not Recommendation.objects.filter(premise=ordinary, kind="peak_shift").exists()
