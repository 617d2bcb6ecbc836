"""The staff BizDevOps overview: business and operations figures, pre-computed.

``overview_compute`` aggregates ingest batches, readings, recommendations, experiments, flag
history, queues and web requests into one ``OverviewSnapshot`` (every minute, by Celery beat);
the page reads the latest snapshot (``overview_latest``). Everything here is plain data: the
figures are drawn by dashboards/overview_presentation.py.

Definitions (docs/observability.md):

* active customers: distinct customers with a portal visit on one of the last 7 (30) local days;
* recommendations "shown": the current ones (what the portal shows); "will do" and "done":
  every recommendation with that status;
* estimated savings: of the recommendations customers will do or did, per year; measured
  savings: of those done and measured (CalTRACK), the avoided use per year, in yen and CO2 at
  the estimate's own price and emission factor;
* readings ingested per hour: of the batches finished in that hour; rejection rate: rejected
  rows over delivered rows of the last 24 hours; batch latency: received to finished (the
  readings rolled up), p50 and p95 per hour;
* ingest lag: now minus the newest reading of the region's meters.
"""

import logging
import time
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from config.celery_app import task_by_name
from config.degrade import REDIS_ERRORS, redis_unavailable
from config.observability.metrics import queue_depths
from config.observability.web_requests import web_requests_flush, web_requests_per_minute
from core.times import hour_start
from dashboards.models import OverviewSnapshot
from energy.ingest.selectors import (
    failed_batches,
    ingest_figures,
    newest_readings_by_region,
    region_names,
)
from energy.savings.selectors import recommendation_counts, savings_totals
from flags.selectors import active_customers, flag_changes, running_experiments

logger = logging.getLogger(__name__)

HOURS = 24  # the operations charts cover the last day, per hour
FLAG_CHANGES_DAYS = 7
KEEP_SNAPSHOTS = timedelta(hours=2)
# The page asks for a recomputation when the latest snapshot is older than this (beat not
# running, as in the embedded default); at most one request a minute queues it.
STALE_AFTER = timedelta(minutes=2)
STALE_LOCK_KEY = "dashboards:overview:compute-queued"


# --- Operations --------------------------------------------------------------------------------


def web_figures(*, now: datetime) -> dict:
    """Web requests, server errors and the error rate per hour (all web processes)."""
    web_requests_flush()  # this process's own counts too
    first_hour = hour_start(now) - timedelta(hours=HOURS - 1)
    first_minute = int(first_hour.timestamp() // 60)
    counts = web_requests_per_minute(
        first_minute=first_minute, last_minute=int(now.timestamp() // 60)
    )
    requests, errors = [0] * HOURS, [0] * HOURS
    for kind, target in (("requests", requests), ("errors", errors)):
        for minute, n in counts[kind].items():
            target[(minute - first_minute) // 60] += n
    return {
        "requests": requests,
        "errors": errors,
        "error_rate": [e / r if r else None for e, r in zip(errors, requests, strict=True)],
    }


def queue_depth() -> dict[str, int] | None:
    try:
        return queue_depths()
    except Exception:
        logger.warning("Could not read the Celery queue depths", exc_info=True)
        return None


# --- The snapshot ------------------------------------------------------------------------------


def overview_data(*, now: datetime) -> dict:
    """Every figure of the overview as of ``now`` (plain JSON-ready data)."""
    today = timezone.localdate(now)
    return {
        "computed_at": now.isoformat(),
        "business": {
            "active_customers": active_customers(today=today),
            "recommendations": recommendation_counts(),
            "savings": savings_totals(),
            "experiments": running_experiments(),
            "flag_changes": flag_changes(since=now - timedelta(days=FLAG_CHANGES_DAYS)),
        },
        "operations": {
            "ingest": ingest_figures(now=now, hours=HOURS),
            "failed_batches": failed_batches(now=now),
            "newest_reading": newest_readings_by_region(),
            "region_names": region_names(),
            "queue_depth": queue_depth(),
            "web": web_figures(now=now),
        },
    }


def overview_compute(*, now: datetime | None = None) -> OverviewSnapshot:
    """Compute and store the overview's figures; snapshots older than two hours are dropped."""
    now = now or timezone.now()
    started = time.perf_counter()
    data = overview_data(now=now)
    snapshot = OverviewSnapshot.objects.create(
        computed_at=now, compute_ms=round((time.perf_counter() - started) * 1000, 1), data=data
    )
    OverviewSnapshot.objects.filter(computed_at__lt=now - KEEP_SNAPSHOTS).delete()
    return snapshot


def overview_latest() -> OverviewSnapshot | None:
    return OverviewSnapshot.objects.order_by("-computed_at").first()


def overview_refresh_if_stale(*, latest: OverviewSnapshot | None, now: datetime) -> bool:
    """Queue a recomputation when the latest snapshot is missing or stale; True if queued."""
    if latest is not None and now - latest.computed_at < STALE_AFTER:
        return False
    try:
        if not cache.add(STALE_LOCK_KEY, 1, timeout=60):
            return False
        task_by_name("dashboards.tasks.overview_compute_task").delay()
    except REDIS_ERRORS:
        # The page shows the latest figures it has; a later view queues the recomputation.
        redis_unavailable(
            use="overview_refresh", lost="the overview's recomputation was not queued"
        )
        return False
    return True


def ingest_lag_seconds(*, now: datetime | None = None) -> dict[str, float]:
    """Per region: now minus its newest reading, from the latest snapshot (metrics gauge)."""
    latest = overview_latest()
    if latest is None:
        return {}
    now = now or timezone.now()
    return {
        region: (now - datetime.fromisoformat(newest)).total_seconds()
        for region, newest in latest.data["operations"]["newest_reading"].items()
        if newest
    }
