"""/healthz and /readyz without a worker (tasks in-process); the Redis-down case is an
integration test (tests/integration/test_observability.py)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_readyz_skips_the_worker_check_when_tasks_run_in_process(client, settings):
    response = client.get(reverse("readyz"))

    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["celery"]["status"] == "skipped"
    expected_redis = "ok" if settings.REDIS_URL else "skipped"
    assert body["checks"]["redis"]["status"] == expected_redis
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_fails_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["status"] == "fail"
    assert "detail" in response.json()["checks"]["redis"]
