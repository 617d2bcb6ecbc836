import os
import time

import orjson
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from config.celery_app import app as celery_app
from energy.access import METER_GATEWAYS
from energy.apikeys.models import ApiScope
from energy.apikeys.services import api_key_create
from energy.ingest.services import batch_receive
from energy.models import IngestBatch
from tests import factories


def pytest_configure(config) -> None:
    # Each run gets its own cache keys: Redis outlives the test database, whose ids restart.
    settings.CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}-{time.time_ns()}"
    # Every test client calls from 127.0.0.1: the per-address limits on anonymous calls and
    # refused keys are tested where they are set low (tests/api/test_throttles.py).
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].update(
        anon="100000/min", auth_failure="100000/min"
    )
    if os.environ.get("CI") == "true" and not settings.DATABASES["default"]["ENGINE"].endswith(
        "postgresql"
    ):
        raise pytest.UsageError("CI runs the suite on PostgreSQL: set DATABASE_URL (make test).")


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run Celery tasks in-process, except in tests that start a real worker."""
    eager = request.node.get_closest_marker("integration") is None
    previous = celery_app.conf.task_always_eager
    _always_eager(eager)
    yield
    _always_eager(previous)


def _always_eager(value: bool) -> None:
    # Both spellings: the settings namespace's CELERY_TASK_ALWAYS_EAGER (from Django settings)
    # is looked up before task_always_eager, so setting only the short name changes nothing.
    celery_app.conf.update({"CELERY_TASK_ALWAYS_EAGER": value, "task_always_eager": value})


@pytest.fixture(autouse=True)
def _fresh_flag_snapshot():
    """Flag evaluation keeps a process-wide snapshot; each test starts from its own data."""
    from django.core.cache import cache

    from flags import evaluation

    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        cache.clear()  # SQLite reuses ids after a rollback: forget exposures of old ids
    evaluation.snapshot_forget()
    evaluation.exposures_forget()
    yield
    evaluation.snapshot_forget()
    evaluation.exposures_forget()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users made by factories get a cheap hash; the default costs about a second each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is required under CI")
        pytest.skip(
            "PostgreSQL path: run under make test (DATABASE_URL=postgres://…); fails under CI"
        )


@pytest.fixture
def gateway_user(db):
    return factories.UserFactory(groups=[METER_GATEWAYS])


@pytest.fixture
def api_client_for(db):
    """``api_client_for(*scopes, user=None)``: an API client using a new key with those scopes."""

    def make(*scopes: str, user=None) -> APIClient:
        user = user or factories.UserFactory()
        _, secret = api_key_create(name="test", user=user, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def gateway_client(gateway_user, api_client_for):
    return api_client_for(ApiScope.INGEST, user=gateway_user)


@pytest.fixture
def electricity_meter(db):
    return factories.MeterFactory(serial="E-0001", commodity="electricity", unit="kWh")


@pytest.fixture
def gas_meter(db):
    return factories.MeterFactory(serial="G-0001", commodity="gas", unit="m3", interval_minutes=60)


@pytest.fixture
def ingest(gateway_user, django_capture_on_commit_callbacks):
    """Deliver readings as a JSON batch through the ingest service and process it at commit.

    ``ingest([{"meter": ..., "ts": ..., "value": ...}, ...])`` returns the processed batch.
    """

    def deliver(readings: list[dict], *, client=None) -> IngestBatch:
        body = orjson.dumps({"readings": readings})
        with django_capture_on_commit_callbacks(execute=True):
            batch, _ = batch_receive(
                client=client or gateway_user, body=body, content_type="application/json"
            )
        batch.refresh_from_db()
        return batch

    return deliver


@pytest.fixture
def session_client_for(db):
    """``session_client_for(user)``: an API client signed in as that user (a browser session)."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def tracing():
    """Tracing on, as OTEL_TRACES_EXPORTER would turn it on, with spans kept in memory.

    ``tracing.get_finished_spans()`` lists the spans ended so far. Instrumentation is removed
    afterwards (the tracer provider stays: OpenTelemetry sets it once per process).
    """
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from config.observability import tracing as shoene_tracing

    exporter = InMemorySpanExporter()
    shoene_tracing.tracing_setup(service_name="shoene-test", exporters=[exporter])
    yield exporter
    shoene_tracing.uninstrument()
    exporter.shutdown()


@pytest.fixture
def json_log_lines():
    """The JSON lines the settings' console handler would write, as dicts, while the test runs."""
    import io
    import logging

    from config.observability.logs import JsonFormatter, LogContextFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LogContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        return [orjson.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    root.removeHandler(handler)
