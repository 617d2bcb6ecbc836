"""Each portal page reads a fixed number of queries, however much data the customer has.

Counts: session and user (2), the customer's premises and their meters (2), then per page:
rollups, weather, the recommendations, and per priced meter the month's tariff versions, their
bands, the adjustments and the emission factors (4). The day view adds the half-hours.
Flags cost none once the process has its snapshot (flags.evaluation), so each test warms it
with one request first, as any running server has.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from energy.usage.selectors import period_of
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
    customer_client.get(url)
    # + recommendations, their wording, rollups, weather and two priced meters.
    with django_assert_num_queries(BASE + 1 + 1 + 1 + 1 + 2 * PRICED):
        assert customer_client.get(url).status_code == 200


@pytest.mark.parametrize("period", ["day", "month", "year"])
def test_usage_views(customer_client, home, django_assert_num_queries, period):
    key = period_of(period, home.today - timedelta(days=1)).key
    # + rollups, the bill forecast's hourly share, prices, whether the meter has bills (the
    # link to its bill history); the month view adds the weather, the day view the half-hours.
    # (No flag: these pages read none.)
    extra = {"day": 1, "month": 1, "year": 0}[period]
    url = usage(home.electricity, period, key, "yen")
    customer_client.get(url)
    with django_assert_num_queries(BASE + 1 + 1 + PRICED + 1 + extra):
        assert customer_client.get(url).status_code == 200


def test_recommendations(customer_client, home, django_assert_num_queries):
    recommendations_create(home)
    url = reverse("dashboards:recommendations", args=[home.premise.pk])
    customer_client.get(url)
    # + the recommendations and their wording.
    with django_assert_num_queries(BASE + 1 + 1):
        assert customer_client.get(url).status_code == 200
