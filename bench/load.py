"""Load: a bounded burst of concurrent clients against portal pages and the ingest API.

Starts a private stack (its own PostgreSQL and Redis on free ports, seeded with the demo data),
gunicorn (config/gunicorn.py: --web-workers × --threads) and a Celery worker, then runs
--clients asyncio clients for --seconds: most open portal pages as signed-in customers, a share
post a day of readings each time. Prints p50/p95/p99 latency per kind of request, then waits
for every batch and checks each accepted reading was stored once. Exits non-zero on any 5xx,
failed connection or lost reading. Everything runs on this machine (loopback only).

    make bench-load
    .venv/bin/python bench/load.py --clients 200 --seconds 60

Not part of the test run (the drill tests/integration/drills/test_drill_load.py is the short
version); the figures go into docs/benchmarks.md.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ingest-share", type=float, default=0.2)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from energy.demo import DEMO_PASSWORD
    from tests.integration.drills.load import load_run
    from tests.integration.drills.stack import Stack, outcome, wait_until_batches_settle

    stack = Stack(Path(tempfile.mkdtemp(prefix="shoene-bench-load-")))
    print(
        f"private stack: PostgreSQL :{stack.postgres.port}, Redis :{stack.redis.port}; "
        f"logs in {stack.log_dir}"
    )
    try:
        stack.start()
        deployment = stack.deployment("bench_load")
        deployment.start_web(workers=args.web_workers, threads=args.threads)
        deployment.start_worker(concurrency=args.worker_concurrency)
        print(
            f"gunicorn {args.web_workers} workers × {args.threads} threads, "
            f"Celery worker concurrency {args.worker_concurrency}"
        )
        result = load_run(
            deployment,
            clients=args.clients,
            duration_s=args.seconds,
            ingest_share=args.ingest_share,
            password=DEMO_PASSWORD,
        )
        print(result.table())
        wait_until_batches_settle(deployment, timeout_s=600)
        stored = outcome(
            deployment, sent=result.accepted_readings, accepted=result.accepted_readings
        )
        print(stored.report("load"))
        deployment.stop_all()
    finally:
        stack.destroy()
    if result.server_errors or stored.lost or stored.duplicates:
        sys.exit(
            f"server errors {result.server_errors}, lost {stored.lost}, "
            f"duplicated {stored.duplicates}"
        )


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    main()
