"""Readings API aggregates: time per page of GET /api/v1/readings/?resolution=day|month over
every meter, summed from the daily rollups (the default) and from the raw readings
(READINGS_AGGREGATES_FROM_ROLLUPS=False), on the database DATABASE_URL names.

In process (Django's test client, no network), as the data team's demo key, walking the pages
by their `next` links; prints p50 / p95 / max per page and the pages walked.

    DATABASE_URL=sqlite:////path/to/db.sqlite3 .venv/bin/python bench/readings_api.py
    make bench-readings-api                   # on the `make run` database (db.sqlite3)
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def walk(client, url: str, pages: int, headers: dict) -> list[float]:
    timings = []
    while url and len(timings) < pages:
        started = time.perf_counter()
        response = client.get(url, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        url = response.json()["next"]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=30, help="pages per query (at most)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.test import Client, override_settings

    from energy.demo import demo_api_secret
    from energy.models import DailyUsage, Reading

    key = demo_api_secret("data")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "SERVER_NAME": "localhost"}
    client = Client()
    print(f"{Reading.objects.count():,} readings, {DailyUsage.objects.count():,} daily rollups")
    print("| query | from | pages | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for resolution in ("month", "day"):
        for from_rollups in (True, False):
            with override_settings(READINGS_AGGREGATES_FROM_ROLLUPS=from_rollups):
                url = f"/api/v1/readings/?resolution={resolution}"
                walk(client, url, 1, headers)  # warm up
                timings = walk(client, url, args.pages, headers)
            p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
            print(
                f"| `?resolution={resolution}` | {'rollups' if from_rollups else 'readings'} "
                f"| {len(timings)} | {statistics.median(timings):.0f} | {p95:.0f} "
                f"| {max(timings):.0f} |"
            )


if __name__ == "__main__":
    main()
