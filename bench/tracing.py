"""What tracing costs a request: not installed, off (the default) and on.

    make bench-tracing
    .venv/bin/python bench/tracing.py [--database-url URL] [--requests 400]

Each mode runs in a process of its own (OpenTelemetry sets its tracer provider once per
process), against a PostgreSQL database of its own (created if missing, migrated):

* ``absent``: the telemetry code path without OpenTelemetry: Shoene's own spans and the log
  lines' trace ids replaced by nothing, as if the library were not installed;
* ``off``: the default, no OTEL_* variables: nothing instrumented, Shoene's spans go to the
  OpenTelemetry API's no-op tracer;
* ``on``: OTEL_TRACES_EXPORTER=none: Django, psycopg and Celery instrumented, every span made
  and sampled, nothing exported (an exporter's network time is not the request's: it runs in
  the batch processor's thread).

Requests, through Django's test client (server time, the response complete): a token-
authenticated batch status read (``GET /api/v1/ingest/batches/<id>/``, 3 queries) and an
ingest POST of 48 readings processed in-process (tasks eager: parse, validate, COPY, roll up;
Shoene's four ingest spans). Each figure is the median (and p95) of --requests requests after
a warm-up, in ms; modes alternate over --rounds rounds so drift in the machine's load is
shared. Not part of the test run; a figure for docs/benchmarks.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shoene_bench_tracing"
MODES = ("absent", "off", "on")


def _run_mode(mode: str, requests: int, warmup: int) -> dict:
    """In this process: set up the mode, then time the requests; returns ms samples."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.test import Client

    from config.observability import logs, tracing

    if mode == "absent":

        class _NoSpan:
            def set_attribute(self, *args):
                pass

        class _NoTracer:
            def start_as_current_span(self, *args, **kwargs):
                return nullcontext(_NoSpan())

        import energy.ingest.services as services

        services.tracer = lambda: _NoTracer()
        logs.trace_ids = lambda: {}
    else:
        on = tracing.tracing_setup(service_name="shoene-bench")
        assert on == (mode == "on"), (mode, on)
    from django.contrib.auth import get_user_model

    from energy.access import METER_GATEWAYS
    from energy.apikeys.models import ApiScope
    from energy.apikeys.services import api_key_create
    from energy.models import IngestBatch, Meter
    from tests import factories

    user = get_user_model().objects.filter(username="bench-gateway").first()
    if user is None:
        user = factories.UserFactory(username="bench-gateway", groups=[METER_GATEWAYS])
    _, secret = api_key_create(name="bench", user=user, scopes=[ApiScope.INGEST])
    meter = Meter.objects.filter(serial="BENCH-E").first() or factories.MeterFactory(
        serial="BENCH-E"
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def post(i: int):
        start = datetime(2020, 1, 1, 15, tzinfo=UTC) + timedelta(days=i)
        body = "meter,ts,value\n" + "".join(
            f"{meter.serial},{(start + timedelta(minutes=30 * k)).isoformat()},0.{k % 9 + 1}\n"
            for k in range(48)
        )
        response = client.post("/api/v1/ingest/readings/", body, content_type="text/csv")
        assert response.status_code == 202, response.content
        return response

    batch = IngestBatch.objects.filter(client=user).first() or IngestBatch.objects.get(
        pk=post(0).json()["id"]
    )
    status_url = f"/api/v1/ingest/batches/{batch.pk}/"
    offset = IngestBatch.objects.count() + int(time.time()) % 100_000  # new days each run
    samples = {"status": [], "ingest": []}
    if mode == "off":
        # What "off" adds to a request that logs or makes Shoene's spans.
        calls = 100_000
        started = time.perf_counter()
        for _ in range(calls):
            with tracing.tracer().start_as_current_span("bench"):
                pass
        samples["noop_span_us"] = [(time.perf_counter() - started) / calls * 1e6]
        started = time.perf_counter()
        for _ in range(calls):
            logs.trace_ids()
        samples["trace_ids_us"] = [(time.perf_counter() - started) / calls * 1e6]
    for i in range(warmup + requests):
        started = time.perf_counter()
        response = client.get(status_url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200
        if i >= warmup:
            samples["status"].append(elapsed)
        started = time.perf_counter()
        post(offset + i)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= warmup:
            samples["ingest"].append(elapsed)
    return samples


def _database_prepare(url: str, env: dict) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--requests", type=int, default=200, help="measured, per mode and round")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(_run_mode(args.mode, args.requests, args.warmup)))
        return

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OTEL_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
        }
    )
    _database_prepare(args.database_url, env)
    results: dict[str, dict[str, list[float]]] = {m: {} for m in MODES}
    for round_ in range(args.rounds):
        for mode in MODES:
            mode_env = dict(env)
            if mode == "on":
                mode_env["OTEL_TRACES_EXPORTER"] = "none"
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--mode",
                    mode,
                    "--requests",
                    str(args.requests),
                    "--warmup",
                    str(args.warmup),
                ],
                cwd=ROOT,
                env=mode_env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            samples = json.loads(out.strip().splitlines()[-1])
            for request, values in samples.items():
                results[mode].setdefault(request, []).extend(values)
        print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)

    def p95(values):
        return sorted(values)[int(0.95 * len(values)) - 1]

    n = args.requests * args.rounds
    print(f"{n} requests per mode and request ({args.rounds} rounds); server ms, median (p95)")
    print("| request | not installed | off (default) | on (exporter none) |")
    print("|---|---:|---:|---:|")
    labels = {"status": "GET batch status (API key)", "ingest": "POST ingest, 48 readings, eager"}
    for request, label in labels.items():
        cells = [
            f"{statistics.median(results[m][request]):.2f} ({p95(results[m][request]):.2f})"
            for m in MODES
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(
        f"off: a span of Shoene's own (an empty with-block) "
        f"{statistics.median(results['off']['noop_span_us']):.2f} µs; the log filter's trace "
        f"lookup outside a span {statistics.median(results['off']['trace_ids_us']):.2f} µs"
    )


if __name__ == "__main__":
    main()
