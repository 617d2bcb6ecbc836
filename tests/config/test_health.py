"""/healthz and /readyz: the web is ready when its database answers, whatever the workers and
Redis do; the worker metric says how many workers answer. (The worker's own probe, run against
a real worker, is in tests/integration/test_worker_probe.py.)"""

import socket
import threading

import pytest
from django.db import OperationalError
from django.urls import reverse

from config import health
from config.observability.metrics import SystemCollector
from tests import factories
from tests.brokers import NOTHING_LISTENS, tasks_queued_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks_queued_on_a_dead_broker():
    """Tasks go to a broker (as in production), and no broker, so no worker, is there."""
    with tasks_queued_on(NOTHING_LISTENS):
        yield


@pytest.fixture
def tasks_queued_on_a_hung_broker():
    """The broker accepts connections and never answers: Redis stopped (SIGSTOP), failing over,
    or a half-open connection. The kernel completes the handshakes; nothing reads."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        port = server.getsockname()[1]
        with tasks_queued_on(f"redis://127.0.0.1:{port}/0"):
            yield


def test_the_web_is_ready_with_no_worker_and_no_broker(client, tasks_queued_on_a_dead_broker):
    response = client.get(reverse("readyz"))

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {
        "status": "ok",
        "latency_ms": body["checks"]["database"]["latency_ms"],
        "required": True,
    }
    assert "celery" not in body["checks"]  # workers have their own probe and metric
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_web_stays_ready_when_redis_does_not_answer_and_says_so(client, settings):
    settings.REDIS_URL = NOTHING_LISTENS

    response = client.get(reverse("readyz"))

    assert response.status_code == 200, response.json()
    redis = response.json()["checks"]["redis"]
    assert (redis["status"], redis["required"]) == ("fail", False)
    assert "Connection" in redis["detail"]


def test_the_web_is_not_ready_when_the_database_does_not_answer(client, monkeypatch):
    def database_down(timeout_s: float):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    monkeypatch.setitem(health.CHECKS, "database", (database_down, True))

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert "port 5432 failed" in body["checks"]["database"]["detail"]


def test_the_worker_metric_is_zero_when_no_worker_answers(client, tasks_queued_on_a_dead_broker):
    client.force_login(factories.UserFactory(username="ops", is_staff=True))

    response = client.get(reverse("metrics"))

    assert response.status_code == 200
    assert "\nshoene_celery_workers 0.0\n" in response.content.decode()


def test_the_worker_metric_is_left_out_when_tasks_run_in_process(client):
    client.force_login(factories.UserFactory(username="ops", is_staff=True))

    response = client.get(reverse("metrics"))

    assert response.status_code == 200
    assert "# TYPE shoene_celery_workers gauge" in response.content.decode()
    assert "\nshoene_celery_workers " not in response.content.decode()


def test_the_worker_metric_is_zero_when_the_broker_hangs(tasks_queued_on_a_hung_broker):
    # Without the broker's socket timeouts the ping's publish waits forever, and so would the
    # scrape (and an ingest request's enqueue).
    families = {}

    def scrape() -> None:
        families.update((family.name, family) for family in SystemCollector().collect())

    scraper = threading.Thread(target=scrape, daemon=True)
    scraper.start()
    scraper.join(timeout=60)

    assert not scraper.is_alive(), "the scrape still waits on a broker that never answers"
    assert [sample.value for sample in families["shoene_celery_workers"].samples] == [0]
