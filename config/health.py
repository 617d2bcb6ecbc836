"""``/healthz`` (the process is alive) and ``/readyz`` (its dependencies answer).

``/readyz`` checks the database, Redis and that at least one Celery worker answers a ping, each
within ``READYZ_TIMEOUT_SECONDS``; it answers 503 when any check fails, with every check's
status and latency, so an orchestrator stops sending traffic (docker-compose health checks,
Kubernetes readiness probes) while the process itself stays up. Checks the configuration
makes pointless (no Redis, tasks run in-process) say "skipped".
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


def celery_check(timeout_s: float) -> tuple[str, str]:
    """At least one worker answers a ping through the broker within the timeout."""
    from config.celery_app import app

    if app.conf.task_always_eager:
        return SKIPPED, "tasks run in-process (CELERY_TASK_ALWAYS_EAGER)"
    with app.connection_for_write() as conn:
        # One connection attempt, bounded: a broker that is down fails the check at once.
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout_s)
        replies = app.control.ping(timeout=timeout_s, connection=conn)
    if not replies:
        return FAIL, f"no worker answered a ping within {timeout_s:g} s"
    return OK, f"{len(replies)} worker(s) answered"


CHECKS = {"database": database_check, "redis": redis_check, "celery": celery_check}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    timeout_s = settings.READYZ_TIMEOUT_SECONDS
    checks = {name: _timed(check, timeout_s) for name, check in CHECKS.items()}
    ready = all(check["status"] != FAIL for check in checks.values())
    return JsonResponse(
        {"status": OK if ready else FAIL, "checks": checks}, status=200 if ready else 503
    )
