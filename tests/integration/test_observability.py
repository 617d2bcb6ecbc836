"""One trace from the ingest POST into the worker's log lines; /readyz against a real Redis
(which it reports but does not need)."""

import time

import pytest
from django.urls import reverse

from energy.models import BatchStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, *, timeout_s: float, what: str, tail=lambda: ""):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout_s:g} s\n{tail()}")


def test_the_worker_logs_the_batch_under_the_trace_of_the_web_request(
    celery_worker_process, gateway_client, electricity_meter, tracing, json_log_lines
):
    body = "meter,ts,value\nE-0001,2026-01-10T00:00:00+09:00,0.4\n"

    response = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")

    assert response.status_code == 202
    batch_id = response.json()["id"]
    [web_line] = [
        line
        for line in json_log_lines()
        if line["logger"] == "shoene.request" and line.get("http_status") == 202
    ]
    assert web_line["request_id"] == response["X-Request-ID"]
    assert web_line["user_id"] == response.wsgi_request.user.pk
    [server_span] = [s for s in tracing.get_finished_spans() if s.kind.name == "SERVER"]
    assert web_line["trace_id"] == format(server_span.context.trace_id, "032x")

    def worker_batch_line():
        for line in celery_worker_process.log_lines():
            if line.get("batch_id") == batch_id and line.get("batch_status") == BatchStatus.DONE:
                return line
        return None

    worker_line = _wait_for(
        worker_batch_line,
        timeout_s=60,
        what="the worker's log line for the batch",
        tail=celery_worker_process.log_tail,
    )
    assert worker_line["trace_id"] == web_line["trace_id"]
    assert worker_line["task_name"] == "energy.tasks.ingest_batch_process"
    assert worker_line["span_id"] != web_line["span_id"]  # the task's own span in that trace
    assert "Token" not in str(worker_line) and "Token" not in str(web_line)


def test_readyz_stays_ready_while_redis_is_down_and_reports_it(private_redis, client, settings):
    # The Redis check on the test's own redis-server, so stopping it touches nothing shared.
    settings.REDIS_URL = private_redis.url
    settings.READYZ_TIMEOUT_SECONDS = 1.0

    ready = client.get(reverse("readyz"))
    assert ready.status_code == 200, ready.json()
    checks = ready.json()["checks"]
    assert {name: (c["status"], c["required"]) for name, c in checks.items()} == {
        "database": ("ok", True),
        "redis": ("ok", False),
    }
    assert all(check["latency_ms"] >= 0 for check in checks.values())

    private_redis.stop()
    down = client.get(reverse("readyz"))
    # Still ready: without Redis the web degrades (no rate limit, the cache skipped) but
    # serves, and ingest stores batches for the sweeper to queue.
    assert down.status_code == 200, down.json()
    assert down.json()["status"] == "ok"
    checks = down.json()["checks"]
    assert checks["redis"]["status"] == "fail"
    assert "Connection" in checks["redis"]["detail"]
    assert checks["database"]["status"] == "ok"

    private_redis.start()
    _wait_for(
        lambda: client.get(reverse("readyz")).json()["checks"]["redis"]["status"] == "ok",
        timeout_s=60,
        what="/readyz reporting Redis ok once it is back",
    )


def test_healthz_answers_without_dependencies(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["version"]
