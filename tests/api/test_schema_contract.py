"""The API keeps its OpenAPI contract, errors included: schemathesis sends randomised requests to
every operation as each kind of caller (a data-team key with every scope, a gateway's ingest
key, a signed-in customer, nobody) and fails on any 5xx, any status the operation does not
document, any body or header that does not match the schema.

The examples per operation and credential are API_FUZZ_EXAMPLES (default 8, a few minutes in
CI); ``make fuzz-api`` runs the nightly size (over 10,000 requests) and prints the count."""

import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from energy.apikeys.models import ApiScope
from energy.apikeys.services import api_key_create
from energy.models import DailyUsage, Reading, WeatherObservation
from flags.models import Experiment
from tests import factories

EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
CALLERS = ("data_key", "gateway_key", "customer", "nobody")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ANSWERED: Counter = Counter()  # (caller, status) of every request sent, for the summary


@pytest.fixture(autouse=True)
def requests_keep_the_test_connection(db):
    # As Django's test client does: requests must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    yield
    if ANSWERED:
        statuses = "; ".join(
            f"{caller}: "
            + ", ".join(
                f"{code} × {n}" for (who, code), n in sorted(ANSWERED.items()) if who == caller
            )
            for caller in CALLERS
        )
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(
                f"\nschemathesis: {ANSWERED.total()} requests ({EXAMPLES_PER_OPERATION} "
                f"examples per operation and caller): {statuses}"
            )


@pytest.fixture
def credentials_for(db):
    """``credentials_for(caller)``: what a kind of caller sends (headers or cookies), over a
    small data set."""
    customer = factories.UserFactory()
    meter = factories.MeterFactory(serial="E-CONTRACT", premise__owner=customer)
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

    made: dict[str, dict] = {}

    def make(caller: str) -> dict:
        if caller not in made:
            made[caller] = _credentials(caller)
        return made[caller]

    def _credentials(caller: str) -> dict:
        if caller == "nobody":
            return {}
        if caller == "customer":
            browser = Client()
            browser.force_login(customer)
            return {"cookies": {"sessionid": browser.cookies["sessionid"].value}}
        scopes = ApiScope.values if caller == "data_key" else [ApiScope.INGEST]
        _, secret = api_key_create(name=caller, user=factories.UserFactory(), scopes=scopes)
        return {"headers": {"Authorization": f"Bearer {secret}"}}

    return make


# Loaded from the app itself when the tests are collected (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())


@pytest.mark.parametrize("caller", CALLERS)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract_for_every_caller(case, caller, credentials_for):
    if caller == "customer" and case.headers:
        # Schemathesis fills the bearer scheme the operation declares (with an empty key): a
        # browser sends only its session cookie.
        case.headers.pop("Authorization", None)
    response = case.call(**credentials_for(caller))
    ANSWERED[caller, response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


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


def test_the_schema_types_parameters_as_the_api_parses_them(tmp_path):
    """Ids are bounded integers (not "number"), booleans the two words the API accepts."""
    import yaml

    call_command("spectacular", "--file", str(tmp_path / "s.yml"))
    paths = yaml.safe_load((tmp_path / "s.yml").read_text())["paths"]

    def parameter(path: str, name: str) -> dict:
        found = [p for p in paths[path]["get"]["parameters"] if p["name"] == name]
        assert found, (path, name)
        return found[0]

    for name in ("campaign", "event"):
        schema = parameter("/api/v1/points/", name)["schema"]
        assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", 1, 2**63 - 1)
    for path, name in (
        ("/api/v1/recommendations/", "current"),
        ("/api/v1/daily-usage/", "complete"),
    ):
        found = parameter(path, name)
        assert found["schema"] == {"type": "string", "enum": ["false", "true"]}
        assert found["description"]
    assert parameter("/api/v1/readings/", "start")["schema"]["format"] == "date-time"
