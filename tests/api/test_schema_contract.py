"""The API keeps its OpenAPI contract: schemathesis sends generated requests to every operation
(authenticated with a key holding every scope) and fails on any 5xx or any response that does
not match the schema. The number of examples per operation is bounded to keep CI short."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from energy.apikeys.models import ApiScope
from energy.apikeys.services import api_key_create
from energy.models import DailyUsage, Reading, WeatherObservation
from flags.models import Experiment
from tests import factories

EXAMPLES_PER_OPERATION = 15


@pytest.fixture(autouse=True)
def requests_keep_the_test_connection(db):
    # As Django's test client does: requests must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def key_with_every_scope(db):
    meter = factories.MeterFactory(serial="E-CONTRACT")
    start = datetime(2026, 1, 1, 15, tzinfo=UTC)
    Reading.objects.bulk_create(
        Reading(meter=meter, ts=start + timedelta(minutes=30 * n), value=0.25) for n in range(6)
    )
    DailyUsage.objects.create(
        meter=meter,
        date=start.date(),
        total=1.5,
        baseload=0.25,
        peak=0.25,
        peak_at=start,
        night_total=0,
        intervals=6,
    )
    WeatherObservation.objects.create(
        region=meter.premise.region, date=start.date(), temperature_mean_c=-2
    )
    Experiment.objects.create(key="framing", name="Framing", primary_metric="daily_kwh")
    _, secret = api_key_create(
        name="contract", user=factories.UserFactory(), scopes=ApiScope.values
    )
    return secret


# Loaded from the app itself when the tests are collected (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_keeps_its_contract(case, key_with_every_scope):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key_with_every_scope}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    # Every view documents its request and response: a warning here is an undocumented view.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert "/api/v1/readings/" in (tmp_path / "s.yml").read_text()


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_swagger_ui_and_redoc_load_only_local_files(client, page):
    html = client.get(page).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/static/") for source in sources), sources
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source
