"""The staff experiment results page on the portal benchmark's data set: server time, p50 and p95.

    make bench-experiment-results
    .venv/bin/python bench/experiment_results.py [--database-url URL] [--requests 100] [--profile]

Uses the database bench/portal.py builds (1,000 premises × 2 years, 52 M readings, and the
demo's framing experiment running for the data's last six weeks: 897 customers exposed, their
portal visits and recommendations, a stored result; built once by ``make bench-portal``, never
rebuilt here) and migrates it. Inside one transaction that is rolled back at the end (the data
set is left as it was), a member of Business staff is made and signed in, and the experiment's
results page (``admin:flags_experiment_results``) is requested through Django's test client,
with the cache on Redis: GET, the page as staff read it (the latest stored result), and POST,
its "Compute results now" button (computes every metric, stores the result and redirects to the
page). Each --warmup times, then --requests times measured. It prints p50, p95 and max server
time, the queries per request with their time, and the slowest query; ``--profile`` adds the
Python functions one more GET and POST spend their time in (cProfile, cumulative).

Not part of the test run; a figure for docs/benchmarks.md.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
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

GOAL_P95_MS = 300.0  # issue 20: the results page, p95 server time
EXPERIMENT_KEY = "recommendation_framing"


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_PORTAL_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_PORTAL_REDIS_URL", DEFAULT_REDIS_URL)
    )
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="cProfile one more request")
    args = parser.parse_args()

    build = _build_record(args.database_url)
    if build is None or build["finished_at"] is None or "exposures" not in build["counts"]:
        sys.exit(
            f"{args.database_url} is not built, or built before the experiment was part of it: "
            "run make bench-portal (or bench/portal.py --build-only) first"
        )
    django_setup_against(args.database_url, args.redis_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    from energy.access import BUSINESS_STAFF
    from flags.models import Experiment

    counts = ", ".join(f"{k} {v:,}" for k, v in build["counts"].items())
    print(f"data set (data to {build['data_end']}): {counts}")
    experiment = Experiment.objects.get(key=EXPERIMENT_KEY)
    url = reverse("admin:flags_experiment_results", args=[experiment.pk])
    try:
        with transaction.atomic():
            staff = get_user_model().objects.create(username="bench-staff", is_staff=True)
            staff.groups.add(Group.objects.get(name=BUSINESS_STAFF))
            client = Client()
            client.force_login(staff)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
            rows = [
                _measure(client, "GET", url, warmup=args.warmup, requests=args.requests),
                # The page's "Compute results now" button: compute, store, redirect to the page.
                _measure(client, "POST", url, warmup=args.warmup, requests=args.requests),
            ]
            print(
                f"{url}: {args.warmup} warm-up + {args.requests} measured requests each\n"
                f"| request | p50 ms | p95 ms | max ms | queries | SQL ms (median) | KB "
                f"| p95 ≤ {GOAL_P95_MS:g} ms |\n"
                f"|---|---:|---:|---:|---:|---:|---:|---|"
            )
            for row in rows:
                print(
                    f"| {row['method']} results | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} "
                    f"| {row['max_ms']:.1f} | {row['queries']} | {row['sql_ms']:.1f} "
                    f"| {row['kb']:.1f} | {'yes' if row['p95_ms'] <= GOAL_P95_MS else '**no**'} |"
                )
            for row in rows:
                print(
                    f"{row['method']}: SQL is {row['sql_ms'] / row['p50_ms']:.0%} of the median "
                    f"request; slowest query {row['slowest_ms']:.1f} ms: {row['slowest_sql']}"
                )
            if args.profile:
                _profile(client, url)
            raise Rollback
    except Rollback:
        print("rolled back: the data set is as it was")


def _measure(client, method: str, url: str, *, warmup: int, requests: int) -> dict:
    """Server time, queries and their time of ``requests`` requests after ``warmup``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send = client.get if method == "GET" else client.post
    expected = 200 if method == "GET" else 302
    for _ in range(warmup):
        response = send(url)
        assert response.status_code == expected, response.status_code
    milliseconds, queries, sql_ms, sizes = [], [], [], []
    slowest = {"time": "0", "sql": ""}
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = send(url)
            milliseconds.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expected, response.status_code
        queries.append(len(captured.captured_queries))
        sql_ms.append(1000 * sum(float(q["time"]) for q in captured.captured_queries))
        sizes.append(len(response.content))
        slowest = max([slowest, *captured.captured_queries], key=lambda q: float(q["time"]))
    ms = np.array(milliseconds)
    return {
        "method": method,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
        "queries": int(np.median(queries)),
        "sql_ms": float(np.median(sql_ms)),
        "kb": float(np.median(sizes)) / 1024,
        "slowest_ms": 1000 * float(slowest["time"]),
        "slowest_sql": " ".join(slowest["sql"].split())[:300],
    }


def _profile(client, url: str) -> None:
    """Where one GET and one POST spend their time (cProfile, cumulative)."""
    for send in (client.get, client.post):
        profile = cProfile.Profile()
        profile.enable()
        send(url)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())


if __name__ == "__main__":
    main()
