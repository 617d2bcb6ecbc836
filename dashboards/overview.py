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
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import numpy as np
from django.apps import apps
from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from config.celery_app import task_by_name
from config.degrade import REDIS_ERRORS, redis_unavailable
from config.observability.metrics import queue_depths
from config.observability.web_requests import web_requests_flush, web_requests_per_minute
from dashboards.models import OverviewSnapshot
from energy.models import BatchStatus, IngestBatch, Meter, Reading, Unit
from energy.savings.models import Recommendation, RecommendationStatus

logger = logging.getLogger(__name__)

HOURS = 24  # the operations charts cover the last day, per hour
FAILED_BATCHES_SHOWN = 20
FAILED_BATCHES_DAYS = 7
FLAG_CHANGES_DAYS = 7
KEEP_SNAPSHOTS = timedelta(hours=2)
# The page asks for a recomputation when the latest snapshot is older than this (beat not
# running, as in the embedded default); at most one request a minute queues it.
STALE_AFTER = timedelta(minutes=2)
STALE_LOCK_KEY = "dashboards:overview:compute-queued"


# --- Business ----------------------------------------------------------------------------------


def active_customers(*, today) -> dict[str, int]:
    from flags.models import PortalVisit

    counts = PortalVisit.objects.aggregate(
        days_7=Count("user", distinct=True, filter=Q(date__gte=today - timedelta(days=6))),
        days_30=Count("user", distinct=True, filter=Q(date__gte=today - timedelta(days=29))),
    )
    return {"7d": counts["days_7"], "30d": counts["days_30"]}


def recommendation_counts() -> dict[str, int]:
    counts = Recommendation.objects.aggregate(
        shown=Count("pk", filter=Q(is_current=True)),
        will_do=Count("pk", filter=Q(status=RecommendationStatus.WILL_DO)),
        done=Count("pk", filter=Q(status=RecommendationStatus.DONE)),
    )
    return counts


def _savings_zero() -> dict[str, float]:
    return {"kwh": 0.0, "m3": 0.0, "jpy": 0.0, "co2_kg": 0.0}


def savings() -> dict:
    """Estimated (will do or done) and measured (done) savings per year, total and by kind."""
    estimated = {"total": _savings_zero(), "by_kind": defaultdict(_savings_zero)}
    measured = {"total": _savings_zero(), "by_kind": defaultdict(_savings_zero)}
    rows = Recommendation.objects.filter(
        status__in=[RecommendationStatus.WILL_DO, RecommendationStatus.DONE]
    ).values_list(
        "kind",
        "unit",
        "status",
        "saving_per_year",
        "saving_jpy",
        "saving_co2_kg",
        "measured_avoided",
    )
    for kind, unit, status, per_year, jpy, co2, avoided in rows:
        unit_key = "kwh" if unit == Unit.KWH else "m3" if unit == Unit.M3 else None
        for target in (estimated["total"], estimated["by_kind"][kind]):
            if unit_key and per_year is not None:
                target[unit_key] += per_year
            target["jpy"] += jpy or 0.0
            target["co2_kg"] += co2 or 0.0
        if status != RecommendationStatus.DONE or avoided is None:
            continue
        for target in (measured["total"], measured["by_kind"][kind]):
            if unit_key:
                target[unit_key] += avoided
            # The estimate's yen and CO2 per unit saved, applied to the measured units.
            if per_year:
                target["jpy"] += avoided * (jpy or 0.0) / per_year
                target["co2_kg"] += avoided * (co2 or 0.0) / per_year
    return {
        "estimated": {**estimated, "by_kind": dict(estimated["by_kind"])},
        "measured": {**measured, "by_kind": dict(measured["by_kind"])},
    }


def _primary_lifts(result, primary_metric: str) -> list[dict]:
    metric = (result.data.get("metrics") or {}).get(primary_metric) or {}
    lifts = []
    for variant, lift in (metric.get("lifts") or {}).items():
        cuped, welch = lift.get("cuped") or {}, lift.get("welch") or {}
        chosen = cuped if cuped.get("relative") is not None else welch
        lifts.append(
            {
                "variant": variant,
                "relative": chosen.get("relative"),
                "relative_ci": chosen.get("relative_ci"),
                "method": "cuped" if chosen is cuped else "welch",
            }
        )
    return lifts


def running_experiments() -> list[dict]:
    """Running experiments with their latest result's primary-metric lifts and SRM check."""
    from flags.models import Experiment, ExperimentStatus
    from flags.selectors import experiment_result_latest

    rows = []
    # A handful run at a time: one query each for its latest result.
    for experiment in Experiment.objects.filter(status=ExperimentStatus.RUNNING).order_by("key"):
        result = experiment_result_latest(experiment=experiment)
        rows.append(
            {
                "key": experiment.key,
                "name": experiment.name,
                "id": experiment.pk,
                "primary_metric": experiment.primary_metric,
                "computed_at": result.computed_at.isoformat() if result else None,
                "lifts": _primary_lifts(result, experiment.primary_metric) if result else [],
                "srm_p_value": result.srm_p_value if result else None,
                "srm_flagged": result.srm_flagged if result else None,
            }
        )
    return rows


def flag_changes(*, since: datetime) -> list[dict]:
    """Flags and switches changed since then, newest first, with the staff member who did it."""
    changes = []
    for model_name, kind in (("HistoricalFlag", "flag"), ("HistoricalSwitch", "switch")):
        model = apps.get_model("flags", model_name)
        recent = model.objects.filter(history_date__gte=since).values_list(
            "name", "history_date", "history_type", "history_user__username"
        )
        for name, when, change, username in recent:
            changes.append(
                {
                    "kind": kind,
                    "name": name,
                    "at": when.isoformat(),
                    "change": {"+": "created", "~": "changed", "-": "deleted"}.get(change, change),
                    "by": username or "",
                }
            )
    changes.sort(key=lambda c: c["at"], reverse=True)
    return changes


# --- Operations --------------------------------------------------------------------------------


def _hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def ingest_figures(*, now: datetime) -> dict:
    """Readings per hour, rejections by reason, batch latency p50/p95 (last 24 hours)."""
    first_hour = _hour_start(now) - timedelta(hours=HOURS - 1)
    hours = [first_hour + timedelta(hours=i) for i in range(HOURS)]
    index = {hour: i for i, hour in enumerate(hours)}
    accepted, rejected = [0] * HOURS, [0] * HOURS
    latencies: list[list[float]] = [[] for _ in hours]
    reasons: Counter = Counter()
    delivered = 0
    # Finished within the window means received at most a day earlier (batches are minutes).
    batches = IngestBatch.objects.filter(
        received_at__gte=first_hour - timedelta(days=1),
        finished_at__gte=first_hour,
        status=BatchStatus.DONE,
    ).values_list(
        "received_at",
        "finished_at",
        "accepted_count",
        "corrected_count",
        "rejected_count",
        "row_count",
        "rejected_reasons",
    )
    for received, finished, new, corrected, rejects, rows, by_reason in batches:
        i = index.get(_hour_start(finished))
        if i is None:
            continue
        accepted[i] += new + corrected
        rejected[i] += rejects
        latencies[i].append((finished - received).total_seconds())
        reasons.update(by_reason or {})
        delivered += rows
    every_latency = [x for hour in latencies for x in hour]
    return {
        "hours": [hour.isoformat() for hour in hours],
        "accepted": accepted,
        "rejected": rejected,
        "rows_delivered": delivered,
        "rejected_by_reason": dict(reasons.most_common()),
        "latency_p50_s": [_percentile(hour, 50) for hour in latencies],
        "latency_p95_s": [_percentile(hour, 95) for hour in latencies],
        "latency_day_p50_s": _percentile(every_latency, 50),
        "latency_day_p95_s": _percentile(every_latency, 95),
    }


def failed_batches(*, now: datetime) -> dict:
    failed = IngestBatch.objects.filter(
        status=BatchStatus.FAILED, received_at__gte=now - timedelta(days=FAILED_BATCHES_DAYS)
    )
    shown = failed.order_by("-received_at").values_list("pk", "received_at", "source", "error")[
        :FAILED_BATCHES_SHOWN
    ]
    return {
        "count": failed.count(),
        "batches": [
            {"id": str(pk), "received_at": at.isoformat(), "source": source, "error": error[:200]}
            for pk, at, source, error in shown
        ],
    }


def newest_readings_by_region() -> dict[str, str | None]:
    """The newest reading's time per region (one index probe per meter: (meter_id, ts))."""
    newest = Subquery(
        Reading.objects.filter(meter_id=OuterRef("pk")).order_by("-ts").values("ts")[:1]
    )
    by_region: dict[str, datetime | None] = {}
    for region, ts in Meter.objects.annotate(newest=newest).values_list(
        "premise__region__name", "newest"
    ):
        current = by_region.get(region)
        by_region[region] = ts if current is None or (ts is not None and ts > current) else current
    return {region: ts.isoformat() if ts else None for region, ts in sorted(by_region.items())}


def web_figures(*, now: datetime) -> dict:
    """Web requests, server errors and the error rate per hour (all web processes)."""
    web_requests_flush()  # this process's own counts too
    first_hour = _hour_start(now) - timedelta(hours=HOURS - 1)
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
            "savings": savings(),
            "experiments": running_experiments(),
            "flag_changes": flag_changes(since=now - timedelta(days=FLAG_CHANGES_DAYS)),
        },
        "operations": {
            "ingest": ingest_figures(now=now),
            "failed_batches": failed_batches(now=now),
            "newest_reading": newest_readings_by_region(),
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
