"""``/healthz`` (the process is alive) and ``/readyz`` (it can serve), for the web process.

Readiness is the database alone: the web cannot answer anything without PostgreSQL, but it
works without Redis (the cache and the rate limit degrade, ingest stores a batch and the
sweeper queues it later) and without any Celery worker (batches wait as "received"). So
``/readyz`` answers 503 only when the database does not answer within
``READYZ_TIMEOUT_SECONDS``; Redis is checked too and reported with ``"required": false``, so an
operator sees it, but it never takes a web process out of service.

Workers have their own probe, per worker: ``celery -A config inspect ping -d celery@$HOSTNAME``
(docker-compose.yml, deploy/k8s/worker.yaml); and their own metric, ``shoene_celery_workers``
(workers answering a ping, read when ``/metrics`` is scraped, ``workers_answering``).
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.observability.version import deployed_version

OK, FAIL, SKIPPED = "ok", "fail", "skipped"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving (no dependency checks: see /readyz)."""
    version = deployed_version()
    return JsonResponse(
        {"status": OK, "version": version.commit, "started_at": version.started_at.isoformat()}
    )


def _timed(check: Callable[[float], tuple[str, str]], timeout_s: float) -> dict:
    started = time.perf_counter()
    try:
        status, detail = check(timeout_s)
    except Exception as exc:  # any failure of a dependency is a failed check, with its reason
        status, detail = FAIL, f"{type(exc).__name__}: {exc}"[:300]
    result = {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    if detail:
        result["detail"] = detail
    return result


def database_check(timeout_s: float) -> tuple[str, str]:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL statement_timeout = %s", [int(timeout_s * 1000)])
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK, ""


def redis_check(timeout_s: float) -> tuple[str, str]:
    if not settings.REDIS_URL:
        return SKIPPED, "no REDIS_URL: the local-memory cache is used"
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
    )
    try:
        client.ping()
    finally:
        client.close()
    return OK, ""


# name: (check, whether a failure makes the web process not ready)
CHECKS: dict[str, tuple[Callable[[float], tuple[str, str]], bool]] = {
    "database": (database_check, True),
    "redis": (redis_check, False),
}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    timeout_s = settings.READYZ_TIMEOUT_SECONDS
    checks = {
        name: {**_timed(check, timeout_s), "required": required}
        for name, (check, required) in CHECKS.items()
    }
    ready = all(check["status"] != FAIL for check in checks.values() if check["required"])
    return JsonResponse(
        {"status": OK if ready else FAIL, "checks": checks}, status=200 if ready else 503
    )


def workers_answering(*, timeout_s: float) -> list[str] | None:
    """The names of the Celery workers that answer a ping through the broker within
    ``timeout_s``; None when tasks run in-process (no workers to ask).

    One bounded connection attempt: a broker that is down raises at once, it is not retried.
    """
    from config.celery_app import app

    if app.conf.task_always_eager:
        return None
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout_s)
        replies = app.control.ping(timeout=timeout_s, connection=conn)
    return sorted(name for reply in replies for name in reply)
