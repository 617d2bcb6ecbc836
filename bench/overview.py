"""The staff overview on the portal benchmark's data set: compute time and page server time.

    make bench-overview
    .venv/bin/python bench/overview.py [--database-url URL] [--requests 200]

Uses the database bench/portal.py builds (1,000 premises × 2 years, 52 M readings; built once
by ``make bench-portal``, never rebuilt here) and migrates it. Inside one transaction that is
rolled back at the end (the data set is left as it was), it adds a day of operations the
portal data set lacks: 200 ingest batches an hour for 24 hours (4,800, 1 % failed, with
rejections), portal visits by 600 customers over 30 days, a running experiment with a result,
and flag changes. Then it times ``overview_compute`` (the every-minute task: it probes the
newest reading of each of the 2,000 meters) and requests ``/staff/overview/`` as staff through
Django's test client, with the cache on Redis, printing p50, p95 and max server time.

Not part of the test run; a figure for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from portal import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    _build_record,
    django_setup_against,
)

GOAL_P95_MS = 200.0
BATCHES_PER_HOUR = 200


class Rollback(Exception):
    pass


def operations_day_create(*, now, rng) -> None:
    """A day of ingest batches, portal visits, an experiment and flag changes (see above)."""
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from energy.models import BatchStatus, IngestBatch
    from flags.models import (
        Experiment,
        ExperimentResult,
        ExperimentStatus,
        Flag,
        PortalVisit,
        Variant,
    )

    User = get_user_model()
    staff = User.objects.create(username="bench-ops", is_staff=True, is_superuser=True)
    client = User.objects.create(username="bench-gateway")
    batches = []
    for hour in range(24):
        for i in range(BATCHES_PER_HOUR):
            received = now - timedelta(hours=hour, minutes=float(rng.uniform(0, 60)))
            failed = i % 100 == 0
            rows = 96
            rejected = int(rng.integers(0, 3))
            batches.append(
                IngestBatch(
                    client=client,
                    format="csv",
                    payload="meter,ts,value\n",
                    payload_sha256="0" * 64,
                    row_count=rows,
                    status=BatchStatus.FAILED if failed else BatchStatus.DONE,
                    error="Internal error: bench" if failed else "",
                    accepted_count=0 if failed else rows - rejected,
                    rejected_count=0 if failed else rejected,
                    rejected_reasons={"off_grid": rejected} if rejected and not failed else {},
                    received_at=received,
                    started_at=received,
                    finished_at=received + timedelta(seconds=float(rng.gamma(2.0, 1.5))),
                )
            )
    IngestBatch.objects.bulk_create(batches, batch_size=1000)
    # received_at is auto_now_add: set the times the batches were meant to have.
    IngestBatch.objects.filter(client=client).update(received_at=F("started_at"))

    customers = list(
        User.objects.filter(username__startswith="customer").values_list("pk", flat=True)
    )
    today = now.date()
    visits = {
        (int(user_id), today - timedelta(days=int(rng.integers(0, 30))))
        for user_id in rng.choice(customers, size=min(600, len(customers)), replace=False)
        for _ in range(3)
    }
    PortalVisit.objects.bulk_create(
        [PortalVisit(user_id=u, date=d) for u, d in visits], ignore_conflicts=True
    )

    experiment = Experiment.objects.create(
        key="bench_framing",
        name="Bench framing",
        owner="bench",
        primary_metric="done_rate",
        status=ExperimentStatus.RUNNING,
    )
    for key in ("yen", "kwh"):
        Variant.objects.create(experiment=experiment, key=key, name=key, weight="0.5", value=key)
    ExperimentResult.objects.create(
        experiment=experiment,
        srm_p_value=0.4,
        srm_flagged=False,
        data={
            "metrics": {
                "done_rate": {
                    "lifts": {"kwh": {"welch": {"relative": 0.03, "relative_ci": [-0.01, 0.07]}}}
                }
            }
        },
    )
    for i in range(5):
        flag = Flag(name=f"bench_flag_{i}", everyone=bool(i % 2))
        flag._history_user = staff
        flag.save()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_PORTAL_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_PORTAL_REDIS_URL", DEFAULT_REDIS_URL)
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--computes", type=int, default=5, help="overview_compute runs timed")
    args = parser.parse_args()

    build = _build_record(args.database_url)
    if build is None or build["finished_at"] is None:
        sys.exit(f"{args.database_url} is not built: run make bench-portal first")
    # The page would queue a recomputation when stale; here the snapshot is always fresh.
    django_setup_against(args.database_url, args.redis_url, CELERY_TASK_ALWAYS_EAGER="true")
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dashboards.overview import overview_compute

    counts = ", ".join(f"{k} {v:,}" for k, v in build["counts"].items())
    print(f"data set: {counts}")
    rng = np.random.default_rng(11)
    try:
        with transaction.atomic():
            now = timezone.now()
            operations_day_create(now=now, rng=rng)
            compute_ms = []
            for _ in range(args.computes):
                started = time.perf_counter()
                snapshot = overview_compute()
                compute_ms.append((time.perf_counter() - started) * 1000)
            ops = snapshot.data["operations"]
            print(
                f"overview_compute: median {statistics.median(compute_ms):,.0f} ms, "
                f"max {max(compute_ms):,.0f} ms over {args.computes} runs "
                f"({sum(ops['ingest']['accepted']):,} readings and "
                f"{ops['failed_batches']['count']} failed batches in the day, "
                f"{len(ops['newest_reading'])} regions)"
            )
            client = Client()
            client.force_login(get_user_model().objects.get(username="bench-ops"))
            for _ in range(args.warmup):
                client.get("/staff/overview/")
            milliseconds, queries, sizes = [], [], []
            for _ in range(args.requests):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get("/staff/overview/")
                    milliseconds.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                queries.append(len(captured.captured_queries))
                sizes.append(len(response.content))
            ms = np.array(milliseconds)
            p95 = float(np.percentile(ms, 95))
            print(
                f"| page | p50 ms | p95 ms | max ms | queries | KB | p95 ≤ {GOAL_P95_MS:g} ms |\n"
                f"|---|---:|---:|---:|---:|---:|---|\n"
                f"| /staff/overview/ | {np.percentile(ms, 50):.1f} | {p95:.1f} | {ms.max():.1f} "
                f"| {int(np.median(queries))} | {np.median(sizes) / 1024:.1f} "
                f"| {'yes' if p95 <= GOAL_P95_MS else '**no**'} |"
            )
            raise Rollback
    except Rollback:
        print("rolled back: the data set is as it was")


if __name__ == "__main__":
    main()
