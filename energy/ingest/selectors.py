"""What staff read about ingest: readings and rejections per hour, batch latency, failed
batches, and how fresh each region's newest reading is (the BizDevOps overview's operations
figures). Plain JSON-ready data."""

from collections import Counter
from datetime import datetime, timedelta

import numpy as np
from django.db.models import OuterRef, Subquery

from core.times import hour_start
from energy.models import BatchStatus, IngestBatch, Meter, NameInTwoLanguages, Reading, Region

FAILED_BATCHES_SHOWN = 20
FAILED_BATCHES_DAYS = 7


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def ingest_figures(*, now: datetime, hours: int) -> dict:
    """Readings per hour, rejections by reason, batch latency p50/p95 (the last ``hours``)."""
    first_hour = hour_start(now) - timedelta(hours=hours - 1)
    hour_starts = [first_hour + timedelta(hours=i) for i in range(hours)]
    index = {hour: i for i, hour in enumerate(hour_starts)}
    accepted, rejected = [0] * hours, [0] * hours
    latencies: list[list[float]] = [[] for _ in hour_starts]
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
        i = index.get(hour_start(finished))
        if i is None:
            continue
        accepted[i] += new + corrected
        rejected[i] += rejects
        latencies[i].append((finished - received).total_seconds())
        reasons.update(by_reason or {})
        delivered += rows
    every_latency = [x for hour in latencies for x in hour]
    return {
        "hours": [hour.isoformat() for hour in hour_starts],
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


def region_names() -> dict[str, dict[str, str]]:
    """Every region's name in each language by its identifier, e.g. {"Sapporo": {"ja": "札幌",
    "en": "Sapporo"}} (a missing one already replaced as ``NameInTwoLanguages`` does): the
    overview's snapshot is plain data, named in the page's language."""
    names = (
        NameInTwoLanguages(*row) for row in Region.objects.values_list("name", "name_ja", "name_en")
    )
    return {n.name: {language: n.in_language(language) for language in ("ja", "en")} for n in names}
