"""Staff switch portal elements with waffle flags; the portal asks flags.services only."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider
from waffle.testutils import override_flag

from flags.models import Experiment, Exposure, Flag, Variant
from flags.testutils import override_provider
from tests.dashboards.conftest import recommendations_create
from tests.dashboards.test_query_counts import BASE, PRICED

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


def test_another_vendor_s_provider_changes_what_the_portal_shows(english_client, home):
    """The portal asks OpenFeature's client, so any provider can stand behind it."""
    recommendations_create(home)
    home_url = reverse("dashboards:premise_home", args=[home.premise.pk])
    recommendations_url = reverse("dashboards:recommendations", args=[home.premise.pk])
    vendor = InMemoryProvider(
        {
            "portal_winter_tips": InMemoryFlag("on", {"on": True, "off": False}),
            "recommendation_framing": InMemoryFlag("kwh", {"yen": "yen", "kwh": "kwh"}),
        }
    )
    with override_provider(vendor):
        assert 'id="winter-tips"' in english_client.get(home_url).content.decode()
        response = english_client.get(recommendations_url)
        cards = {c.recommendation.kind: c for c in response.context["cards"]}
        assert cards["standby"].headline == "180 kWh a year"
    # Back on Shoene's provider: the flag is not set and the framing is the registry's.
    assert 'id="winter-tips"' not in english_client.get(home_url).content.decode()
    cards = {
        c.recommendation.kind: c for c in english_client.get(recommendations_url).context["cards"]
    }
    assert cards["standby"].headline == "¥7,380 a year"


def test_a_group_targeted_flag_reads_the_customer_s_groups_once(
    customer_client, home, neighbour, django_assert_num_queries
):
    testers = Group.objects.create(name="testers")
    Flag.objects.create(name="portal_winter_tips", everyone=None).groups.add(testers)
    home.customer.groups.add(testers)
    url = reverse("dashboards:premise_home", args=[home.premise.pk])
    assert 'id="winter-tips"' in customer_client.get(url).content.decode()
    # The portal adds the group ids to the context: one query a request, however many flags
    # (test_query_counts.test_home's count, plus one).
    with django_assert_num_queries(BASE + 1 + 1 + 1 + 1 + 2 * PRICED + 1):
        assert 'id="winter-tips"' in customer_client.get(url).content.decode()
    customer_client.force_login(neighbour.customer)
    neighbour_url = reverse("dashboards:premise_home", args=[neighbour.premise.pk])
    assert 'id="winter-tips"' not in customer_client.get(neighbour_url).content.decode()
