"""Model-based recommendations (heating, high usage, bill forecast), measured savings after
"done", the nightly job and the debounced recomputation after ingest."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse

from energy.models import DailyUsage
from energy.savings.climate import climate_normals
from energy.savings.generate import recommendations_generate
from energy.savings.models import Recommendation
from energy.tasks import recommendation_savings_measure_task, recommendations_generate_nightly
from tests import factories
from tests.energy.recommendation_homes import (
    TODAY,
    days_before,
    home_create,
    seasonal_temperatures,
    weather_create,
)


def home_in(town, **fields):
    return home_create(
        region=town["region"], temperature_c=town["temperature_c"], days=town["days"], **fields
    )


def generate_for(town, *premises):
    everyone = [*premises, *[home[0] for home in town["homes"]]]
    return recommendations_generate(premise_ids=[p.pk for p in everyone], today=TODAY)


def test_a_leaky_gas_heated_home_is_told_what_1_degree_lower_saves(town):
    premise, _, gas_meter = home_in(town, gas_per_hdd=0.6)

    generate_for(town, premise)

    recommendation = Recommendation.objects.get(meter=gas_meter, kind="heating")
    basis = recommendation.basis
    assert basis["own_per_hdd"] == pytest.approx(0.6, rel=0.1)
    # Compared per 100 m² of floor (every home here has 95 m²) with the neighbours' median.
    assert basis["own_per_hdd_100m2"] == pytest.approx(basis["own_per_hdd"] * 100 / 95)
    assert 0.25 * 100 / 95 <= basis["cohort_per_hdd_100m2"] <= 0.35 * 100 / 95
    normals = climate_normals(
        dates=np.array(town["days"], dtype="datetime64[D]"), temperature_c=town["temperature_c"]
    )
    heating_days = int((normals < basis["heating_balance_c"]).sum())
    assert basis["heating_days"] == heating_days
    # One degree-day less per heating day; a day under 1 °C below the balance point loses less.
    degree_days = np.clip(basis["heating_balance_c"] - normals, 0, None)
    assert recommendation.saving_per_year == pytest.approx(
        basis["own_per_hdd"] * np.minimum(degree_days, 1).sum()
    )
    assert recommendation.saving_per_year < basis["own_per_hdd"] * heating_days
    assert recommendation.unit == "m3"
    # 1 °C lower saves one degree-day per heating day: under 15 % of the modelled heating use.
    assert recommendation.saving_per_year / basis["heating_use_per_year"] < 0.15
    assert basis["plausibility"]["cap"]["exceeded"] is False
    # The neighbours heat less per degree than the median: no heating advice for half of them.
    advised = Recommendation.objects.filter(kind="heating", meter__commodity="gas").count()
    assert 2 <= advised <= 7


def test_a_sudden_40_percent_week_raises_a_high_usage_alert(town):
    premise, meter, gas_meter = home_in(town, gas_per_hdd=0.3, last_week_factor=1.4)

    generate_for(town, premise)

    for each in (meter, gas_meter):
        alert = Recommendation.objects.get(meter=each, kind="high_usage")
        assert alert.is_alert
        assert alert.basis["excess_percent"] == pytest.approx(40, abs=12)
        assert alert.basis["excess_value"] > alert.basis["interval_half_width"]
    # Ordinary weeks raise nothing.
    assert Recommendation.objects.filter(kind="high_usage").count() == 2


def test_the_bill_forecast_adds_the_rest_of_the_month_at_normal_weather(town):
    premise, meter, _ = home_in(town, gas_per_hdd=0.3)

    generate_for(town, premise)

    forecast = Recommendation.objects.get(meter=meter, kind="bill_forecast").basis
    january = DailyUsage.objects.filter(meter=meter, date__gte=TODAY.replace(day=1))
    so_far = sum(january.values_list("total", flat=True))
    assert forecast["month"] == "2026-01"
    assert forecast["days_observed"] == 19 and forecast["days_predicted"] == 12
    assert forecast["to_date_value"] == pytest.approx(so_far)
    # The other 12 days at January's normal weather use about what January's days so far did.
    assert forecast["forecast_value"] - so_far == pytest.approx(so_far / 19 * 12, rel=0.15)


def test_a_meter_without_a_years_data_gets_no_model_based_recommendation(town):
    premise, meter, _ = home_in(town)
    meter.daily_usage.filter(date__lt=TODAY - timedelta(days=200)).delete()

    summary = generate_for(town, premise)

    assert not Recommendation.objects.filter(
        meter=meter, kind__in=["heating", "high_usage", "bill_forecast"]
    ).exists()
    reasons = list(summary.skipped["bill_forecast"])
    assert any(reason.startswith("no baseline model: ") and "365" in reason for reason in reasons)


def test_done_measures_the_households_savings_once_30_days_exist(
    db, session_client_for, django_capture_on_commit_callbacks
):
    region = factories.RegionFactory(name="Sapporo")
    days = days_before(days=460)
    temperature_c = seasonal_temperatures(days)
    weather_create(region, days, temperature_c)
    premise, _, gas_meter = home_create(
        region=region, temperature_c=temperature_c, days=days, gas_per_hdd=0.4, seed=3
    )
    intervention = TODAY - timedelta(days=60)
    # From the intervention on, the household uses 15 % less gas.
    for row in gas_meter.daily_usage.filter(date__gte=intervention):
        row.total *= 0.85
        row.save()
    recommendation = Recommendation.objects.create(
        premise=premise,
        meter=gas_meter,
        kind="heating",
        unit="m3",
        confidence="high",
        computed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    client = session_client_for(premise.owner)
    url = reverse("api:recommendation-status", args=[recommendation.pk])

    # Marked done today: no reporting days yet, so no number, only the reason.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, {"status": "done"}, format="json")
    assert response.status_code == 200
    assert len(callbacks) == 1  # the measurement is queued after commit
    recommendation.refresh_from_db()
    assert recommendation.measured_fractional_savings is None
    assert recommendation.measurement["status"] == "not_enough_data"
    assert "at least 30 are needed" in recommendation.measurement["reasons"][0]

    # As if marked done 60 days before the data's end.
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status_changed_at=datetime(
            intervention.year, intervention.month, intervention.day, 3, tzinfo=UTC
        )
    )
    recommendation_savings_measure_task.delay(recommendation.pk)

    recommendation.refresh_from_db()
    assert recommendation.measurement["status"] == "measured"
    assert recommendation.measured_fractional_savings == pytest.approx(0.15, abs=0.04)
    assert recommendation.measured_fractional_savings_uncertainty > 0
    assert recommendation.measured_avoided > 0
    assert recommendation.measured_at is not None
    listed = client.get(reverse("api:recommendations")).json()["results"]
    assert listed[0]["measured"]["fractional_savings"] == pytest.approx(0.15, abs=0.04)


def test_the_nightly_job_covers_every_premise(town, settings):
    premise, _, _ = home_in(town, standby_kwh_per_30min=0.09)
    entry = settings.CELERY_BEAT_SCHEDULE["recommendations-nightly"]
    assert entry["task"] == "energy.tasks.recommendations_generate_nightly"

    with mock.patch("energy.tasks.timezone.localdate", return_value=TODAY):
        result = recommendations_generate_nightly.delay().get()

    assert result["premises"] == 13
    assert Recommendation.objects.filter(premise=premise, kind="standby").exists()


def test_ingest_queues_one_debounced_recomputation_per_premise(
    ingest, electricity_meter, django_capture_on_commit_callbacks
):
    def reading(hour: int) -> dict:
        ts = datetime(2026, 1, 15, hour, tzinfo=UTC)
        return {"meter": electricity_meter.serial, "ts": ts.isoformat(), "value": 0.5}

    with mock.patch("energy.tasks.recommendations_recompute.apply_async") as recompute:
        ingest([reading(0)])
        ingest([reading(1)])  # a second batch within 10 minutes: no second recomputation
        ingest([reading(2)])

    recompute.assert_called_once_with(args=[[electricity_meter.premise_id]], countdown=600)
    assert cache.get(f"recommendations:pending:{electricity_meter.premise_id}") == 1


def test_the_debounced_recomputation_clears_its_key_and_computes(town):
    from energy.tasks import recommendations_recompute

    premise, _, _ = home_in(town, standby_kwh_per_30min=0.09)
    cache.set(f"recommendations:pending:{premise.pk}", 1)

    with mock.patch("energy.tasks.timezone.localdate", return_value=TODAY):
        recommendations_recompute.delay([premise.pk]).get()

    assert cache.get(f"recommendations:pending:{premise.pk}") is None
    assert Recommendation.objects.filter(premise=premise, kind="standby").exists()
