"""Staff switch portal elements with waffle flags; the portal asks flags.services only."""

import pytest
from django.urls import reverse
from waffle.testutils import override_flag

from flags.models import Experiment, Exposure, Variant
from tests.dashboards.conftest import recommendations_create

pytestmark = pytest.mark.django_db


def test_winter_tips_appear_only_with_their_flag(customer_client, home):
    url = reverse("dashboards:premise_home", args=[home.premise.pk])
    assert 'id="winter-tips"' not in customer_client.get(url).content.decode()
    with override_flag("portal_winter_tips", active=True):
        assert 'id="winter-tips"' in customer_client.get(url).content.decode()


def test_the_framing_experiment_puts_kwh_first_for_its_variant(english_client, home):
    recommendations_create(home)
    url = reverse("dashboards:recommendations", args=[home.premise.pk])
    cards = {c.recommendation.kind: c for c in english_client.get(url).context["cards"]}
    assert cards["standby"].headline == "¥7,380 a year"  # the registry default: yen
    experiment = Experiment.objects.create(
        key="recommendation_framing",
        name="Framing",
        hypothesis="kWh first makes more customers act",
        owner="cx",
        primary_metric="done_rate",
        status="running",
    )
    Variant.objects.create(experiment=experiment, key="kwh", name="kWh", weight=1, value="kwh")
    cards = {c.recommendation.kind: c for c in english_client.get(url).context["cards"]}
    assert cards["standby"].headline == "180 kWh a year"
    assert cards["standby"].secondary == ["¥7,380 a year", "90 kg CO2 a year"]
    exposure = Exposure.objects.get(experiment=experiment)
    assert (exposure.user, exposure.variant.key) == (home.customer, "kwh")
    english_client.get(url)
    assert Exposure.objects.filter(experiment=experiment).count() == 1


def test_neighbours_framing_puts_the_comparison_first(customer_client, home):
    recommendations_create(home)
    experiment = Experiment.objects.create(
        key="recommendation_framing",
        name="Framing",
        hypothesis="the comparison with neighbours makes customers act",
        owner="cx",
        primary_metric="done_rate",
        status="running",
    )
    Variant.objects.create(
        experiment=experiment, key="neighbours", name="Neighbours", weight=1, value="neighbours"
    )
    body = customer_client.get(
        reverse("dashboards:premise_home", args=[home.premise.pk])
    ).content.decode()
    assert body.index('id="neighbours-first"') < body.index("chart-month-so-far-0")
