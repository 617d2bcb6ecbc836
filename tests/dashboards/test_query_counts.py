"""Each portal page reads a fixed number of queries, however much data the customer has.

Counts: session and user (2), the customer's premises and their meters (2), then per page:
rollups, weather, the recommendations, and per priced meter the month's tariff versions, their
bands, the adjustments and the emission factors (4). The day view adds the half-hours.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from dashboards.selectors import period_of
from tests.dashboards.conftest import recommendations_create

pytestmark = pytest.mark.django_db

BASE = 4  # session, user, premises, meters
PRICED = 4  # tariff versions, bands, adjustments, emission factors


def usage(meter, period, key, measure="use"):
    url = reverse("dashboards:usage", kwargs={"meter_id": meter.pk, "period": period, "key": key})
    return f"{url}?measure={measure}"


def test_home(customer_client, home, django_assert_num_queries):
    recommendations_create(home)
    url = reverse("dashboards:premise_home", args=[home.premise.pk])
    # + recommendations, their wording, rollups, weather, two flags (cold cache: the portal
    # flag and the framing flag) and two priced meters.
    with django_assert_num_queries(BASE + 1 + 1 + 1 + 1 + 2 + 2 * PRICED):
        assert customer_client.get(url).status_code == 200


@pytest.mark.parametrize("period", ["day", "month", "year"])
def test_usage_views(customer_client, home, django_assert_num_queries, period):
    key = period_of(period, home.today - timedelta(days=1)).key
    # + rollups, the bill forecast's hourly share, prices; the month view adds the weather,
    # the day view the half-hours. (No flag: these pages read none.)
    extra = {"day": 1, "month": 1, "year": 0}[period]
    with django_assert_num_queries(BASE + 1 + 1 + PRICED + extra):
        assert customer_client.get(usage(home.electricity, period, key, "yen")).status_code == 200


def test_recommendations(customer_client, home, django_assert_num_queries):
    recommendations_create(home)
    url = reverse("dashboards:recommendations", args=[home.premise.pk])
    # + the framing flag, the recommendations and their wording.
    with django_assert_num_queries(BASE + 1 + 1 + 1):
        assert customer_client.get(url).status_code == 200
