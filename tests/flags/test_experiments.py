"""Experiments: sticky assignment, targeting, exposures once, results, the admin and the API."""

from datetime import timedelta

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from energy.access import DATA_TEAM
from energy.models import DailyUsage
from flags import evaluation
from flags.evaluation import Unit
from flags.experiments.results import experiment_results_compute
from flags.models import Experiment, ExperimentResult, Exposure, Variant
from tests import factories

pytestmark = pytest.mark.django_db


def experiment_create(*, traffic=100, weights=(0.5, 0.5), status="running", **fields):
    experiment = Experiment.objects.create(
        key="recommendation_framing",
        name="Framing",
        hypothesis="kWh first makes more customers act",
        owner="cx",
        primary_metric="daily_kwh",
        guardrail_metrics=["portal_visits"],
        status=status,
        traffic_percent=traffic,
        **fields,
    )
    keys = ("yen", "kwh", "neighbours")[: len(weights)]
    for position, (key, weight) in enumerate(zip(keys, weights, strict=True)):
        Variant.objects.create(
            experiment=experiment, key=key, name=key, weight=weight, value=key, position=position
        )
    return experiment


def customers(n: int, region=None):
    region = region or factories.RegionFactory(name="Sapporo")
    people = []
    for i in range(n):
        user = factories.UserFactory(username=f"{region.name}-{i:04d}")
        factories.PremiseFactory(owner=user, region=region)
        people.append(user)
    return people


def assign(people):
    rule = evaluation.snapshot().experiments["recommendation_framing"]
    return {u.pk: evaluation.experiment_evaluate(rule, Unit(u)) for u in people}


def test_assignment_is_sticky_and_follows_the_weights():
    experiment_create(weights=(0.5, 0.5))
    people = customers(400)
    first = {pk: r.variant for pk, r in assign(people).items()}
    evaluation.snapshot_forget()
    assert {pk: r.variant for pk, r in assign(people).items()} == first
    share = sum(1 for v in first.values() if v == "kwh") / len(first)
    assert 0.42 < share < 0.58


def test_traffic_leaves_the_rest_with_the_default():
    experiment_create(traffic=20)
    results = assign(customers(400))
    inside = [r for r in results.values() if r is not None]
    assert 0.14 < len(inside) / len(results) < 0.26


def test_targeting_by_region_dwelling_and_group():
    sapporo = factories.RegionFactory(name="Sapporo")
    hakodate = factories.RegionFactory(name="Hakodate")
    experiment = experiment_create()
    experiment.target_regions.add(hakodate)
    north, south = customers(1, sapporo)[0], customers(1, hakodate)[0]
    rule = evaluation.snapshot().experiments["recommendation_framing"]
    assert evaluation.experiment_evaluate(rule, Unit(north)) is None
    assert evaluation.experiment_evaluate(rule, Unit(south)) is not None
    pilots = Group.objects.create(name="Pilots")
    experiment.target_groups.add(pilots)
    rule = evaluation.snapshot().experiments["recommendation_framing"]
    assert evaluation.experiment_evaluate(rule, Unit(south)) is None
    south.groups.add(pilots)
    assert evaluation.experiment_evaluate(rule, Unit(south)) is not None


def test_a_paused_or_unstarted_experiment_assigns_nobody():
    experiment_create(status="paused")
    assert "recommendation_framing" not in evaluation.snapshot().experiments
    Experiment.objects.update(status="running", starts_at=timezone.now() + timedelta(days=1))
    evaluation.snapshot_forget()  # update() sends no signal; a save() would have done this
    [user] = customers(1)
    rule = evaluation.snapshot().experiments["recommendation_framing"]
    assert evaluation.experiment_evaluate(rule, Unit(user)) is None


def test_exposure_is_written_once_per_customer(django_assert_num_queries):
    experiment_create()
    [user] = customers(1)
    rule = evaluation.snapshot().experiments["recommendation_framing"]
    unit = Unit(user)
    result = evaluation.experiment_evaluate(rule, unit)
    assert evaluation.exposure_record(result=result, unit=unit)
    with django_assert_num_queries(0):
        for _ in range(50):
            assert not evaluation.exposure_record(result=result, unit=unit)
    evaluation.exposures_forget()  # another process: the shared cache remembers
    with django_assert_num_queries(0):
        assert not evaluation.exposure_record(result=result, unit=unit)
    assert Exposure.objects.count() == 1


# --- results ------------------------------------------------------------------------------


def usage_write(user, days, values):
    premise = user.premises.first()
    meter = factories.MeterFactory(
        premise=premise, serial=f"E-{user.pk}", commodity="electricity", unit="kWh"
    )
    DailyUsage.objects.bulk_create(
        DailyUsage(
            meter=meter,
            date=day,
            total=float(value),
            baseload=0.1,
            peak=1.0,
            peak_at=timezone.now(),
            night_total=1.0,
            intervals=48,
        )
        for day, value in zip(days, values, strict=True)
    )


def test_results_recover_an_effect_and_cuped_narrows_it():
    """Customers in 'kwh' use 5 % less after exposure; each has a persistent own level."""
    experiment = experiment_create()
    people = customers(240)
    rng = np.random.default_rng(3)
    today = timezone.localdate()
    exposed_on = today - timedelta(days=14)
    days = [exposed_on - timedelta(days=28) + timedelta(days=i) for i in range(28 + 14)]
    rule = evaluation.snapshot().experiments["recommendation_framing"]
    for user in people:
        result = evaluation.experiment_evaluate(rule, Unit(user))
        evaluation.exposure_record(result=result, unit=Unit(user))
        level = rng.lognormal(np.log(10), 0.35)
        effect = 0.95 if result.variant == "kwh" else 1.0
        values = [
            level * (effect if day >= exposed_on else 1.0) * rng.normal(1, 0.05) for day in days
        ]
        usage_write(user, days, values)
    Exposure.objects.update(exposed_at=timezone.now() - timedelta(days=14))

    stored = experiment_results_compute(experiment=experiment)

    metric = stored.data["metrics"]["daily_kwh"]
    welch = metric["lifts"]["kwh"]["welch"]
    cuped = metric["lifts"]["kwh"]["cuped"]
    assert cuped["relative_ci"][0] < -0.05 < cuped["relative_ci"][1]
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    assert width(cuped["relative_ci"]) < 0.5 * width(welch["relative_ci"])
    assert metric["role"] == "primary" and metric["guardrail"] == "ok"
    assert sum(v["units"] for v in stored.data["variants"]) == 240
    assert not stored.srm_flagged


def test_a_lopsided_split_raises_the_srm_flag():
    experiment = experiment_create()
    yen, kwh = experiment.variants.order_by("position")
    people = customers(300)
    Exposure.objects.bulk_create(
        Exposure(experiment=experiment, variant=yen if i < 200 else kwh, user=u)
        for i, u in enumerate(people)
    )
    stored = experiment_results_compute(experiment=experiment)
    assert stored.srm_flagged and stored.srm_p_value < 0.001


# --- the admin ----------------------------------------------------------------------------


def test_staff_create_an_experiment_with_variants_in_the_admin(staff_client):
    region = factories.RegionFactory(name="Sapporo")
    form = {
        "key": "recommendation_framing",
        "name": "Framing",
        "hypothesis": "kWh first",
        "owner": "cx",
        "status": "draft",
        "traffic_percent": "100",
        "target_regions": [region.pk],
        "target_dwelling_types": ["detached"],
        "primary_metric": "done_rate",
        "guardrail_metrics": ["daily_kwh"],
        "hash_seed": "",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "2",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-position": "0",
        "variants-0-key": "yen",
        "variants-0-name": "Yen first",
        "variants-0-weight": "0.5",
        "variants-0-value": '"yen"',
        "variants-1-position": "1",
        "variants-1-key": "kwh",
        "variants-1-name": "kWh first",
        "variants-1-weight": "0.5",
        "variants-1-value": '"kwh"',
        "history_reason": "framing test for the winter",
    }
    response = staff_client.post(reverse("admin:flags_experiment_add"), form)
    assert response.status_code == 302, response.context["errors"]
    experiment = Experiment.objects.get()
    assert experiment.hash_seed == "recommendation_framing"
    assert experiment.target_dwelling_types == ["detached"]
    assert list(experiment.variants.values_list("key", flat=True)) == ["yen", "kwh"]

    bad = dict(form, key="not_declared", **{"variants-1-weight": "0.6"})
    response = staff_client.post(reverse("admin:flags_experiment_add"), bad)
    assert response.status_code == 200
    errors = str(response.context["errors"]) + str(response.context["inline_admin_formsets"])
    assert "declared in the code" in errors
    assert "add up to 1" in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )


def test_start_then_read_the_results_page_with_its_chart(staff_client):
    experiment = experiment_create(status="draft")
    response = staff_client.post(
        reverse("admin:flags_experiment_changelist"),
        {
            "action": "start",
            "_selected_action": [experiment.pk],
            "confirm": "yes",
            "history_reason": "go",
        },
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.starts_at is not None
    people = customers(40)
    for user in people:
        usage_write(user, [timezone.localdate() - timedelta(days=1)], [10.0])
    rule = evaluation.snapshot().experiments["recommendation_framing"]
    for user in people:
        evaluation.exposure_record(
            result=evaluation.experiment_evaluate(rule, Unit(user)), unit=Unit(user)
        )
    Exposure.objects.update(exposed_at=timezone.now() - timedelta(days=2))
    url = reverse("admin:flags_experiment_results", args=[experiment.pk])
    assert staff_client.post(url).status_code == 302  # compute now
    page = staff_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="lift-chart"' in body and 'id="lift-chart-figure"' in body
    assert 'id="srm-banner"' not in body


def test_the_planner_gives_a_minimum_detectable_effect(staff_client):
    experiment = experiment_create(status="draft")
    people = customers(60)
    rng = np.random.default_rng(1)
    days = [timezone.localdate() - timedelta(days=i) for i in range(1, 29)]
    for user in people:
        usage_write(user, days, rng.normal(10, 2, len(days)))
    url = reverse("admin:flags_experiment_planner", args=[experiment.pk])
    page = staff_client.get(
        url,
        {"metric": "daily_kwh", "traffic_percent": 100, "days": 28, "relative_effect_percent": 5},
    )
    plan = page.context["plan"]
    assert plan["eligible"] == 60 and plan["units_per_variant"] == 30
    assert 0 < plan["mde"] < 1
    assert plan["units_needed"] > 0


# --- the API ------------------------------------------------------------------------------


def test_the_data_team_reads_experiments_and_results():
    experiment = experiment_create()
    data_user = factories.UserFactory(groups=[DATA_TEAM])
    api = APIClient()
    api.force_authenticate(data_user)
    listed = api.get("/api/v1/experiments/")
    assert listed.status_code == 200
    assert listed.json()["results"][0]["variants"][1]["key"] == "kwh"
    assert api.get("/api/v1/experiments/recommendation_framing/results/").status_code == 404
    fresh = api.get("/api/v1/experiments/recommendation_framing/results/?fresh=1")
    assert fresh.status_code == 200 and fresh.json()["experiment"] == experiment.key
    customer = factories.UserFactory()
    api.force_authenticate(customer)
    assert api.get("/api/v1/experiments/").status_code == 403


def test_fresh_results_are_calculated_on_get_but_never_stored():
    experiment = experiment_create()
    api = APIClient()
    api.force_authenticate(factories.UserFactory(groups=[DATA_TEAM]))
    url = "/api/v1/experiments/recommendation_framing/results/"
    fresh = api.get(url + "?fresh=1")
    assert fresh.status_code == 200 and fresh.json()["computed_at"]
    assert not ExperimentResult.objects.exists()
    assert api.get(url).status_code == 404  # still nothing stored to read
    stored = experiment_results_compute(experiment=experiment)
    latest = api.get(url).json()
    assert latest["computed_at"] and latest["variants"] == fresh.json()["variants"]
    assert ExperimentResult.objects.get() == stored
    schema = api.get("/api/v1/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/experiments/{key}/results/"]["get"]["parameters"]
    assert "fresh" in {parameter["name"] for parameter in parameters}
