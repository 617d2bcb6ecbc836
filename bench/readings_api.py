"""Readings API aggregates: server time per page of GET /api/v1/readings/ over every meter, at
each resolution, on the first page and on a page deep into the list.

    make bench-readings-api            # the `make run` database (db.sqlite3), then the portal
                                       # benchmark's PostgreSQL data set
    .venv/bin/python bench/readings_api.py --database-url sqlite:////path/to/db.sqlite3
    .venv/bin/python bench/readings_api.py \
        --database-url postgres://postgres@127.0.0.1:5432/shoene_portal_bench

In process (Django's test client, no network), with an API key holding the export scope made
for the run (inside a transaction rolled back at the end: the database is left as it was).
Each query is walked from its first page by its ``next`` links (the first page's time is
reported on its own), then requested with a cursor pointing half-way through the last meter
("deep"): a page costs the same wherever it starts. Day and month sums without a time range or
quality filter are read from the daily rollups (the default), and, for comparison, from the
readings (READINGS_AGGREGATES_FROM_ROLLUPS=False). Prints p50 / p95 / max per page.

Not part of the test run; figures for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (query, from the rollups) — the unfiltered day and month sums both ways.
QUERIES = [
    ({"resolution": "month"}, True),
    ({"resolution": "month"}, False),
    ({"resolution": "day"}, True),
    ({"resolution": "day"}, False),
    ({"resolution": "hour"}, False),
    ({"resolution": "day", "quality": "measured"}, False),
    ({"resolution": "month", "start": "LAST_YEAR"}, False),
    ({"resolution": "raw"}, False),
]


class Rollback(Exception):
    pass


def timed(client, url: str, headers: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get(url, **headers)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    return elapsed, response.json()


def deep_cursor(query: dict, *, from_rollups: bool) -> str:
    """A cursor as the API would give it half-way through the last meter's history."""
    from config.pagination import cursor_encode, query_fingerprint
    from energy.models import DailyUsage, Meter

    meter = Meter.objects.order_by("-pk").first()
    days = DailyUsage.objects.filter(meter=meter).order_by("date").values_list("date", flat=True)
    middle = days[len(days) // 2]
    resolution = query["resolution"]
    if resolution == "raw":
        from energy.models import Reading

        ts = Reading.objects.filter(meter=meter, ts__date__gte=middle).order_by("ts")[0].ts
        values = [meter.pk, ts.isoformat()]
    elif from_rollups:
        values = [
            meter.pk,
            (middle.replace(day=1) if resolution == "month" else middle).isoformat(),
        ]
    else:
        start = middle.replace(day=1) if resolution == "month" else middle
        values = [meter.pk, f"{start.isoformat()}T00:00:00"]
    params = [(name, value) for name, value in query.items()]
    return cursor_encode(values, query=query_fingerprint("/api/v1/readings/", params))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--pages", type=int, default=30, help="pages walked per query (at most)")
    parser.add_argument("--deep", type=int, default=10, help="deep page requests per query")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError, connection, transaction
    from django.test import Client, override_settings
    from django.utils import timezone

    from energy.apikeys.models import ApiScope
    from energy.apikeys.services import api_key_create
    from energy.models import DailyUsage, Meter, Reading

    try:
        seeded = Meter.objects.exists()
    except DatabaseError:  # not migrated, or no such database
        seeded = False
    if not seeded:
        raise SystemExit(
            f"{os.environ.get('DATABASE_URL')} has no meters: seed it first (`make run` for "
            "db.sqlite3, `make bench-portal` for the portal benchmark's data set)."
        )
    client = Client()
    where = urlsplit(os.environ.get("DATABASE_URL", "sqlite:///db.sqlite3"))
    print(
        f"{connection.vendor} {where.path.lstrip('/')}: {Meter.objects.count():,} meters, ", end=""
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                # Summed over the monthly partitions (a partitioned table's own estimate is -1).
                "SELECT sum(greatest(c.reltuples, 0))::bigint "
                "FROM pg_partition_tree('energy_reading') t "
                "JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf"
            )
            print(f"≈ {cursor.fetchone()[0]:,} readings, ", end="")
    else:
        print(f"{Reading.objects.count():,} readings, ", end="")
    print(f"{DailyUsage.objects.count():,} daily rollups")
    last_year = (timezone.now() - timedelta(days=365)).replace(microsecond=0).isoformat()
    try:
        with transaction.atomic():
            user = get_user_model().objects.create(username="bench-readings-api")
            _, secret = api_key_create(name="bench", user=user, scopes=[ApiScope.EXPORT])
            headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "SERVER_NAME": "localhost"}
            print(
                "| query | from | first page ms | pages | p50 ms | p95 ms | max ms | deep p50 ms |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for query, from_rollups in QUERIES:
                query = {k: last_year if v == "LAST_YEAR" else v for k, v in query.items()}
                url = "/api/v1/readings/?" + urlencode(query)
                with override_settings(READINGS_AGGREGATES_FROM_ROLLUPS=from_rollups):
                    timed(client, url, headers)  # warm up
                    timings, next_url = [], url
                    while next_url and len(timings) < args.pages:
                        elapsed, body = timed(client, next_url, headers)
                        timings.append(elapsed)
                        next_url = body["next"]
                    cursor = deep_cursor(query, from_rollups=from_rollups)
                    deep_url = url + "&" + urlencode({"cursor": cursor})
                    deep = [timed(client, deep_url, headers)[0] for _ in range(args.deep)]
                p95 = (
                    statistics.quantiles(timings, n=20, method="inclusive")[-1]
                    if len(timings) > 1
                    else timings[0]
                )
                shown = "&".join(
                    f"{k}={'<a year ago>' if k == 'start' else v}" for k, v in query.items()
                )
                print(
                    f"| `?{shown}` | {'rollups' if from_rollups else 'readings'} "
                    f"| {timings[0]:.0f} | {len(timings)} | {statistics.median(timings):.0f} "
                    f"| {p95:.0f} | {max(timings):.0f} | {statistics.median(deep):.0f} |"
                )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
