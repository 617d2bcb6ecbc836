"""Recommendations on archetypal premises, through ``recommendations_generate`` and the API."""

import re

import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from energy.savings.generate import climate_load, meter_facts_load, recommendations_generate
from energy.savings.models import Recommendation, RecommendationStatus, RecommendationTemplate
from energy.savings.templates import recommendation_render, template_placeholder_errors
from tests import factories
from tests.energy.recommendation_homes import (
    HEATING_BASE_C,
    TODAY,
    daily_usage_create,
    days_before,
    home_create,
    seasonal_temperatures,
    weather_create,
)


def recommendations_of(premise, kind=None):
    found = Recommendation.objects.filter(premise=premise, is_current=True)
    return found.filter(kind=kind) if kind else found


def home_in(town, **fields):
    return home_create(
        region=town["region"], temperature_c=town["temperature_c"], days=town["days"], **fields
    )


def generate_for(*premises):
    return recommendations_generate(premise_ids=[p.pk for p in premises], today=TODAY)


def test_a_high_standby_home_is_told_what_switching_off_half_its_gap_saves(town):
    # 180 W around the clock; the 12 ordinary homes draw 80-140 W.
    premise, meter, _ = home_in(town, standby_kwh_per_30min=0.09, gas_per_hdd=0.3)

    generate_for(premise, *[home[0] for home in town["homes"]])

    recommendation = recommendations_of(premise, "standby").get()
    basis = recommendation.basis
    assert recommendation.meter == meter
    assert basis["own_kwh_per_day"] == pytest.approx(0.09 * 48, rel=0.03)
    assert basis["own_watts"] == pytest.approx(180, rel=0.03)
    assert 0.04 * 48 <= basis["cohort_kwh_per_day"] <= 0.07 * 48
    # Half the gap to the lowest quarter of similar homes is claimed (the rest stays on).
    assert recommendation.saving_per_year == pytest.approx(
        (basis["own_kwh_per_day"] - basis["cohort_kwh_per_day"]) * 0.5 * 365
    )
    share = recommendation.saving_per_year / basis["plausibility"]["annual_use"]
    assert 0.05 < share <= 0.10  # the cap: twice the national standby share
    assert basis["plausibility"]["cap"]["exceeded"] is False
    assert recommendation.unit == "kWh"
    assert recommendation.confidence == "high"
    assert basis["cohort"]["level"] == "region_dwelling_fuel_size"
    assert basis["cohort"]["heating_fuel"] == "gas"
    assert basis["cohort"]["n_homes"] == 13


def test_a_standby_gap_beyond_its_cap_is_shown_without_a_number(town):
    """300 W always on in a home using 5,500 kWh: half the gap would be 16 % of its
    electricity, more than standby can be; the observation stays, no saving is promised."""
    premise, _, _ = home_in(town, standby_kwh_per_30min=0.15, gas_per_hdd=0.3)

    summary = generate_for(premise, *[home[0] for home in town["homes"]])

    recommendation = recommendations_of(premise, "standby").get()
    cap = recommendation.basis["plausibility"]["cap"]
    assert cap["exceeded"] is True and cap["share"] == 0.10
    assert cap["claimed_share"] > 0.10
    assert recommendation.saving_per_year is None
    assert recommendation.saving_jpy is None and recommendation.saving_co2_kg is None
    assert summary.capped["standby"] == 1
    with translation.override("ja"):
        text = recommendation_render(recommendation=recommendation)
    assert text.title == "夜中も使われている電力が似た家庭より多めです"
    assert "円" not in text.title + text.body
    assert re.search(r"約(29\d|30\d)W（1日7\.\dkWh）", text.body)
    with translation.override("en"):
        text = recommendation_render(recommendation=recommendation)
    assert "¥" not in text.title + text.body
    assert re.search(r"about (29\d|30\d) W around the clock", text.body)


def test_night_heating_is_not_taken_for_standby(town):
    """A heat pump runs at night in winter: only nights without heating show the standby."""
    premise = factories.PremiseFactory(region=town["region"], household_size=3)
    meter = factories.MeterFactory(premise=premise, commodity="electricity", unit="kWh")
    hdd = np.clip(HEATING_BASE_C - town["temperature_c"], 0, None)
    standby_per_30min = 0.04  # as low as the lowest of the neighbours'
    night_heating = 0.03 * hdd  # kWh in the coldest half hour of the night
    daily_usage_create(
        meter,
        town["days"],
        totals=48 * standby_per_30min + 8.0 + 0.8 * hdd,
        baseloads=standby_per_30min + night_heating,
    )

    generate_for(premise, *[home[0] for home in town["homes"]])

    facts = {
        fact.meter_id: fact
        for fact in meter_facts_load(
            premise_ids=[premise.pk], today=TODAY, climate=climate_load(today=TODAY)
        )
    }
    assert facts[meter.pk].standby_kwh_per_day == pytest.approx(standby_per_30min * 48)
    assert not recommendations_of(premise, "standby").exists()


def test_an_efficient_home_gets_no_standby_or_similar_homes_recommendation(town):
    premise, _, _ = home_in(
        town, standby_kwh_per_30min=0.02, activity_kwh_per_day=4.0, gas_per_hdd=0.15
    )

    summary = generate_for(premise, *[home[0] for home in town["homes"]])

    assert not recommendations_of(premise, "standby").exists()
    assert not recommendations_of(premise, "similar_homes").exists()
    assert (
        summary.skipped["standby"][
            "standby is already at or below the lowest quarter of similar homes"
        ]
        >= 1
    )


def test_a_heavy_user_is_compared_with_efficient_similar_homes_without_a_yen_saving(town):
    premise, meter, _ = home_in(town, activity_kwh_per_day=20.0, gas_per_hdd=0.3)

    generate_for(premise, *[home[0] for home in town["homes"]])

    recommendation = recommendations_of(premise, "similar_homes").get(meter=meter)
    basis = recommendation.basis
    assert basis["own_value"] > basis["efficient_value"]
    assert basis["percentile"] > 90  # the heaviest user of its 13-home cohort
    assert basis["percent_more"] == pytest.approx(
        100 * (basis["own_value"] - basis["efficient_value"]) / basis["efficient_value"]
    )
    assert basis["cohort_p25_value"] <= basis["median_value"] <= basis["cohort_p75_value"]
    # A social comparison, not a saving: no kWh, yen or CO2 is promised.
    assert recommendation.saving_per_year is None
    assert recommendation.saving_jpy is None and recommendation.saving_co2_kg is None
    with translation.override("en"):
        text = recommendation_render(recommendation=recommendation)
    assert (
        text.title == f"You used {round(basis['percent_more'])} % more than efficient similar homes"
    )
    assert "¥" not in text.body and "gas-heated detached houses in Sapporo" in text.body
    with translation.override("ja"):
        text = recommendation_render(recommendation=recommendation)
    assert "円" not in text.title + text.body and "中央値" in text.body


def test_a_home_of_another_size_band_is_compared_within_its_region_dwelling_and_fuel(town):
    premise, _, _ = home_in(
        town, household_size=1, standby_kwh_per_30min=0.09, activity_kwh_per_day=20.0
    )

    generate_for(premise, *[home[0] for home in town["homes"]])

    basis = recommendations_of(premise, "standby").get().basis
    assert basis["cohort"] == {
        "level": "region_dwelling_fuel",
        "region": "Sapporo",
        "dwelling_type": "detached",
        "heating_fuel": "gas",
        "size_band": None,
        "n_homes": 13,
        # Its names for customers, as the region had them (the factory's: its identifier).
        "region_ja": "Sapporo",
        "region_en": "Sapporo",
    }
    similar = recommendations_of(premise, "similar_homes").filter(meter__commodity="electricity")
    assert similar.get().basis["cohort_fallback_reasons"] == [
        "cohort region_dwelling_fuel_size has 1 homes with a value (at least 10 needed)",
    ]
    # A wider cohort costs a confidence level.
    assert recommendations_of(premise, "standby").get().confidence == "medium"


def test_a_home_without_enough_like_homes_is_not_compared_with_unlike_ones(town):
    # The only apartment in town: no cohort of apartments anywhere, and detached houses are
    # not like it.
    premise, _, _ = home_in(
        town,
        dwelling_type="apartment",
        household_size=1,
        standby_kwh_per_30min=0.15,
        activity_kwh_per_day=20.0,
    )

    summary = generate_for(premise, *[home[0] for home in town["homes"]])

    assert not recommendations_of(premise).filter(kind__in=["standby", "similar_homes"]).exists()
    assert any(
        "cohort service_area_dwelling_fuel has 1 homes" in reason
        for reason in summary.skipped["similar_homes"]
    )


def test_a_home_in_a_small_region_is_compared_across_the_service_area(town):
    island = factories.RegionFactory(name="Rishiri")
    weather_create(island, town["days"], town["temperature_c"])
    premise, _, _ = home_create(
        region=island,
        temperature_c=town["temperature_c"],
        days=town["days"],
        standby_kwh_per_30min=0.09,
        activity_kwh_per_day=20.0,
    )

    generate_for(premise, *[home[0] for home in town["homes"]])

    basis = recommendations_of(premise, "standby").get().basis
    assert basis["cohort"]["level"] == "service_area_dwelling_fuel"
    assert basis["cohort"]["region"] is None
    assert basis["cohort"]["n_homes"] == 13  # the 12 detached homes in Sapporo and this one
    with translation.override("en"):
        text = recommendation_render(
            recommendation=recommendations_of(premise, "similar_homes").first()
        )
    assert "the service area" in text.title + text.body


def test_no_cohort_at_all_means_no_comparison_and_the_reason_is_counted(db):
    region = factories.RegionFactory(name="Rishiri")
    days = days_before()
    temperature_c = seasonal_temperatures(days)
    weather_create(region, days, temperature_c)
    premise, _, _ = home_create(
        region=region, temperature_c=temperature_c, days=days, standby_kwh_per_30min=0.2
    )

    summary = generate_for(premise)

    assert not recommendations_of(premise).filter(kind__in=["standby", "similar_homes"]).exists()
    assert summary.skipped["standby"] == {"no cohort of similar homes with enough homes": 1}


def test_recomputation_updates_the_figures_and_keeps_the_customers_status(town):
    premise, _, _ = home_in(town, standby_kwh_per_30min=0.09)
    everyone = [premise, *[home[0] for home in town["homes"]]]
    generate_for(*everyone)
    recommendation = recommendations_of(premise, "standby").get()
    recommendation.status = RecommendationStatus.WILL_DO
    recommendation.save()
    first_computed = recommendation.computed_at

    summary = generate_for(*everyone)

    again = recommendations_of(premise, "standby").get()
    assert again.pk == recommendation.pk
    assert again.status == RecommendationStatus.WILL_DO
    assert again.computed_at > first_computed
    assert summary.created == 0 and summary.updated >= 1


def test_a_recommendation_that_no_longer_applies_is_retired_with_its_reason(town):
    premise, meter, _ = home_in(town, standby_kwh_per_30min=0.09)
    everyone = [premise, *[home[0] for home in town["homes"]]]
    generate_for(*everyone)
    # The household cut its standby: every night since is low.
    meter.daily_usage.update(baseload=0.01)
    cache.clear()

    generate_for(*everyone)

    retired = Recommendation.objects.get(premise=premise, kind="standby")
    assert retired.is_current is False
    assert retired.basis["not_current_reason"] == (
        "standby is already at or below the lowest quarter of similar homes"
    )


def test_queries_do_not_grow_with_the_number_of_premises(town, django_assert_max_num_queries):
    premises = [home[0] for home in town["homes"]]
    generate_for(*premises)  # warm: the cohorts of the whole town are cached for the day
    with django_assert_max_num_queries(12):
        recommendations_generate(premise_ids=[p.pk for p in premises[:2]], today=TODAY)
    with django_assert_max_num_queries(12):
        recommendations_generate(premise_ids=[p.pk for p in premises], today=TODAY)


# --- Templates --------------------------------------------------------------------------


def test_default_templates_exist_after_migrate_in_japanese_and_english(db):
    kinds = set(RecommendationTemplate.objects.values_list("kind", flat=True))
    assert kinds == {
        "standby",
        "heating",
        "peak_shift",
        "high_usage",
        "similar_homes",
        "bill_forecast",
    }


def test_editing_a_template_changes_the_text_customers_see_in_both_languages(town, client):
    premise, _, _ = home_in(town, standby_kwh_per_30min=0.09)
    generate_for(premise, *[home[0] for home in town["homes"]])
    recommendation = recommendations_of(premise, "standby").get()
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    template = RecommendationTemplate.objects.get(kind="standby")

    response = client.post(
        reverse("admin:savings_recommendationtemplate_change", args=[template.pk]),
        {
            "title_ja": "待機電力で年{saving_value}{unit}の節約",
            "body_ja": template.body_ja,
            "title_en": "Standby: save {saving_value} {unit} a year",
            "body_en": template.body_en,
            "history_reason": "shorter title",
        },
    )

    assert response.status_code == 302
    saving = f"{round(recommendation.saving_per_year):,}"
    with translation.override("ja"):
        assert recommendation_render(recommendation=recommendation).title == (
            f"待機電力で年{saving}kWhの節約"
        )
    with translation.override("en"):
        assert recommendation_render(recommendation=recommendation).title == (
            f"Standby: save {saving} kWh a year"
        )


def test_an_unknown_placeholder_is_a_form_error_and_nothing_is_saved(db, client):
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    template = RecommendationTemplate.objects.get(kind="standby")
    before = template.title_en

    response = client.post(
        reverse("admin:savings_recommendationtemplate_change", args=[template.pk]),
        {
            "title_ja": template.title_ja,
            "body_ja": template.body_ja,
            "title_en": "Save {saving_yen} yen with {saving_dollars}",
            "body_en": template.body_en,
            "history_reason": "new wording",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    # Staff read the admin in Japanese (the default language).
    assert "使えないプレースホルダー {saving_dollars}" in errors["title_en"][0]
    assert "{saving_yen}" in errors["title_en"][0]  # among the placeholders the kind can use
    template.refresh_from_db()
    assert template.title_en == before


def test_template_errors_name_the_placeholder_in_either_language():
    with translation.override("en"):
        assert template_placeholder_errors(kind="standby", text="{saving_dollars}") == [
            "Unknown placeholder {saving_dollars}; this kind can use: "
            "{always_on_share_percent}, {cohort}, {cohort_kwh_per_day}, {cohort_watts}, "
            "{confidence}, {own_kwh_per_day}, {own_watts}, {reducible_percent}, "
            "{saving_co2_kg}, {saving_value}, {saving_yen}, {unit}"
        ]
        (broken,) = template_placeholder_errors(kind="standby", text="Save {saving_yen")
        assert broken.startswith("The text is not a valid template (")
        assert broken.endswith("); write braces as {{ and }}.")
    with translation.override("ja"):
        (unknown,) = template_placeholder_errors(kind="standby", text="{saving_dollars}")
        assert unknown.startswith("使えないプレースホルダー {saving_dollars} があります。")
        (broken,) = template_placeholder_errors(kind="standby", text="Save {saving_yen")
        assert "{{ と }}" in broken


def test_staff_edits_survive_the_next_migrate(db):
    from energy.savings.templates import templates_ensure

    RecommendationTemplate.objects.filter(kind="standby").update(title_en="Our own wording")
    RecommendationTemplate.objects.filter(kind="heating").delete()

    created = templates_ensure()

    assert created == 1
    assert RecommendationTemplate.objects.get(kind="standby").title_en == "Our own wording"
    assert RecommendationTemplate.objects.filter(kind="heating").exists()


# --- Status API -----------------------------------------------------------------------


@pytest.fixture
def standby_recommendation(town):
    premise, _, _ = home_in(town, standby_kwh_per_30min=0.09)
    generate_for(premise, *[home[0] for home in town["homes"]])
    return recommendations_of(premise, "standby").get()


def test_the_owner_marks_a_recommendation_will_do(standby_recommendation, session_client_for):
    client = session_client_for(standby_recommendation.premise.owner)

    response = client.post(
        reverse("api:recommendation-status", args=[standby_recommendation.pk]),
        {"status": "will_do"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "will_do"
    standby_recommendation.refresh_from_db()
    assert standby_recommendation.status == "will_do"
    assert standby_recommendation.status_changed_at is not None


def test_another_customers_recommendation_is_not_found(standby_recommendation, session_client_for):
    stranger = factories.UserFactory()
    client = session_client_for(stranger)

    response = client.post(
        reverse("api:recommendation-status", args=[standby_recommendation.pk]),
        {"status": "done"},
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    standby_recommendation.refresh_from_db()
    assert standby_recommendation.status == "new"


def test_an_unknown_status_is_a_400_with_the_standard_error_body(
    standby_recommendation, session_client_for
):
    client = session_client_for(standby_recommendation.premise.owner)

    response = client.post(
        reverse("api:recommendation-status", args=[standby_recommendation.pk]),
        {"status": "maybe"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body) == {"code", "message", "details"}
    assert "status" in body["details"]


def test_session_login_works_and_the_list_is_in_the_request_language(
    standby_recommendation, client
):
    client.force_login(standby_recommendation.premise.owner)
    url = reverse("api:recommendations") + f"?premise={standby_recommendation.premise.public_id}"

    japanese = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").json()["results"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"]

    kinds = {item["kind"] for item in english}
    assert "standby" in kinds
    standby_ja = next(item for item in japanese if item["kind"] == "standby")
    standby_en = next(item for item in english if item["kind"] == "standby")
    assert standby_ja["title"].startswith("待機電力を見直すと")
    assert standby_en["title"].startswith("Cut standby power")


def test_filtering_by_another_customers_premise_finds_nothing(standby_recommendation, client):
    client.force_login(factories.UserFactory())

    response = client.get(
        reverse("api:recommendations") + f"?premise={standby_recommendation.premise.public_id}"
    )

    assert response.status_code == 200 and response.json()["results"] == []


def test_a_customer_logs_in_through_the_api_login_and_lists_their_recommendations(town, client):
    owner = factories.UserFactory(password="correct-horse-battery")
    premise, _, _ = home_in(town, owner=owner, standby_kwh_per_30min=0.09)
    generate_for(premise, *[home[0] for home in town["homes"]])

    login = client.post(
        "/api/v1/auth/login/",
        {"username": owner.username, "password": "correct-horse-battery", "next": "/api/v1/"},
    )
    listed = client.get(reverse("api:recommendations"), {"premise": premise.public_id})

    assert login.status_code == 302
    assert listed.status_code == 200
    assert "standby" in {row["kind"] for row in listed.json()["results"]}


@pytest.mark.parametrize(
    ("language", "confidence", "word"),
    [
        ("ja", "low", "低"),
        ("ja", "medium", "中"),
        ("ja", "high", "高"),
        ("en", "low", "low"),
        ("en", "medium", "medium"),
        ("en", "high", "high"),
    ],
)
def test_the_confidence_reads_the_same_in_the_wording_and_on_the_portal(language, confidence, word):
    from dashboards.presentation import basis_lines
    from energy.savings.templates import DEFAULT_TEMPLATES

    recommendation = Recommendation(kind="standby", unit="kWh", confidence=confidence, basis={})
    template = RecommendationTemplate(kind="standby", **DEFAULT_TEMPLATES["standby"])
    with translation.override(language):
        body = recommendation_render(recommendation=recommendation, template=template).body
        lines = basis_lines(recommendation)

    if language == "ja":
        assert f"（推定の確かさ：{word}）" in body
        assert f"推定の確かさ：{word}。" in lines
    else:
        assert f"(Confidence: {word})" in body
        assert f"Confidence: {word}." in lines
