"""Bulk export throughput and the serving process's memory: readings/s at the client, peak RSS.

Builds once, then reuses, the PostgreSQL database named by --database-url (created if missing,
migrated on every run): --meters electricity meters (default 1,000), each with --days (365) of
30-minute readings from 2025-01-01 UTC, 17,520,000 readings by default, COPYed in PostgreSQL's
binary format with bench/portal.py's helpers; the table ``bench_export_build`` records the
build as bench/portal.py's does, and ``--rebuild`` drops the database and builds it again.

Then, per format, it starts a fresh gunicorn (one sync worker, the production WSGI entry point)
on that database, creates an API key with the export scope, asks once for one meter-day (so
the worker has imported everything), and exports every meter over the whole range with
``GET /api/v1/export/readings.<format>`` through plain HTTP. It reports the readings received,
the time to the last byte, readings/s at the client, and the worker's peak resident memory
(``VmHWM`` in /proc/<pid>/status) before and after. The CSV body is counted as it arrives; the
Parquet body is written to a temporary file and its row count read back with pyarrow.

    make bench-export
    .venv/bin/python bench/export.py --formats csv
    .venv/bin/python bench/export.py --rebuild --build-only

Not part of the test run; figures for docs/benchmarks.md.
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psycopg
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.portal import (  # noqa: E402 - after the path is set
    COPY_SIGNATURE,
    COPY_TRAILER,
    _build_record,
    _copy_rows,
    _database_prepare,
    _interval_starts,
    _step,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shoene_export_bench"
BUILD_TABLE = "bench_export_build"
FIRST_DAY = date(2025, 1, 1)
COPY_CHUNK_METERS = 100  # one COPY and commit per chunk
GOAL_ROWS_PER_S = 1_000_000  # CSV, the bar
GOAL_PEAK_RSS_MB = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_EXPORT_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (created if missing; dropped by --rebuild). "
        "Env: BENCH_EXPORT_DATABASE_URL",
    )
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # the throttle's cache in memory: nothing else is needed
    os.environ.update(env)
    parameters = {"meters": args.meters, "days": args.days, "seed": args.seed}
    build = _database_prepare(
        args.database_url, rebuild=args.rebuild, parameters=parameters, table=BUILD_TABLE
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    if build is None:
        build = _build(args.database_url, parameters=parameters)
    counts = build["counts"]
    print(f"data set: {counts['meters']:,} meters, {counts['readings']:,} readings")
    if args.build_only:
        return

    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=args.days)
    secret = _export_key()
    results = []
    for fmt in args.formats.split(","):
        results.append(_measure(fmt, args.port, env, secret, start, end, counts["readings"]))
    print()
    print("| format | readings | seconds | readings/s | MB | worker peak RSS (idle → after) |")
    print("|---|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['format']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} "
            f"| {r['megabytes']:,.0f} | {r['rss_idle_mb']:.0f} → {r['rss_peak_mb']:.0f} MB |"
        )
    for r in results:
        if r["format"] == "csv":
            verdict = "met" if r["rows_per_s"] >= GOAL_ROWS_PER_S else "NOT met"
            print(f"goal ≥ {GOAL_ROWS_PER_S:,} readings/s for CSV: {verdict}")
        verdict = "met" if r["rss_peak_mb"] < GOAL_PEAK_RSS_MB else "NOT met"
        print(f"goal peak RSS < {GOAL_PEAK_RSS_MB} MB ({r['format']}): {verdict}")


# --- The data set -------------------------------------------------------------------------


def _build(url: str, *, parameters: dict) -> dict:
    from energy.models import Quality, Reading

    days = [FIRST_DAY + timedelta(days=i) for i in range(parameters["days"])]
    with psycopg.connect(url) as conn:
        conn.execute(
            f"CREATE TABLE {BUILD_TABLE} (parameters jsonb NOT NULL, data_end date NOT NULL,"
            " started_at timestamptz NOT NULL, finished_at timestamptz,"
            " step_seconds json NOT NULL, counts json NOT NULL)"
        )
        conn.execute(
            f"INSERT INTO {BUILD_TABLE} VALUES (%s, %s, now(), NULL, '{{}}', '{{}}')",
            [json.dumps(parameters), days[-1]],
        )
    print(f"building: {parameters['meters']:,} meters, {days[0]} to {days[-1]}")
    seconds: dict[str, float] = {}
    with _step("customers, premises and meters", seconds):
        meter_ids = _meters_create(parameters["meters"])
    rng = np.random.default_rng(parameters["seed"])
    starts = _interval_starts(days, 48, UTC)
    statement = (
        f"COPY {Reading._meta.db_table} (meter_id, ts, value, quality) FROM STDIN (FORMAT BINARY)"
    )
    quality = Quality.MEASURED.value.encode()
    with _step("readings (COPY)", seconds), psycopg.connect(url) as conn:
        for first in tqdm(range(0, len(meter_ids), COPY_CHUNK_METERS), unit="chunk"):
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(COPY_SIGNATURE)
                for meter_id in meter_ids[first : first + COPY_CHUNK_METERS]:
                    values = np.round(rng.gamma(2.0, 0.2, len(starts)), 3)
                    copy.write(_copy_rows(meter_id, starts, values, quality))
                copy.write(COPY_TRAILER)
            conn.commit()
    with _step("vacuum analyze", seconds), psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) energy_reading")
    with psycopg.connect(url) as conn:
        counts = {
            "meters": conn.execute("SELECT count(*) FROM energy_meter").fetchone()[0],
            "readings": conn.execute("SELECT count(*) FROM energy_reading").fetchone()[0],
        }
        conn.execute(
            f"UPDATE {BUILD_TABLE} SET finished_at = now(), step_seconds = %s, counts = %s",
            [json.dumps(seconds), json.dumps(counts)],
        )
    record = _build_record(url, table=BUILD_TABLE)
    assert record is not None
    return record


def _meters_create(count: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from energy.models import Commodity, Meter, Premise, Region, Unit

    owners = get_user_model().objects.bulk_create(
        get_user_model()(username=f"exporter{i:05d}", password=make_password(None))
        for i in range(count)
    )
    region, _ = Region.objects.get_or_create(name="Sapporo")
    premises = Premise.objects.bulk_create(
        Premise(owner=owner, region=region, dwelling_type="detached", floor_area_m2=90)
        for owner in owners
    )
    meters = Meter.objects.bulk_create(
        Meter(premise=premise, serial=f"E-{i:05d}", commodity=Commodity.ELECTRICITY, unit=Unit.KWH)
        for i, premise in enumerate(premises)
    )
    return [meter.pk for meter in meters]


# --- The measurement ----------------------------------------------------------------------


def _export_key() -> str:
    from django.contrib.auth import get_user_model

    from energy.apikeys.models import ApiScope
    from energy.apikeys.services import api_key_create

    user, _ = get_user_model().objects.get_or_create(username="bench-data-team")
    _, secret = api_key_create(
        name="bench export", user=user, scopes=[ApiScope.EXPORT], rate="100000/min"
    )
    return secret


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _BackendCpu:
    """CPU time of the bench database's backends, sampled while the export runs: the export's
    second connection lives only as long as the export, so it cannot be read afterwards."""

    def __init__(self, url: str, interval_s: float = 0.2) -> None:
        self.url, self.interval_s = url, interval_s
        self.seen: dict[int, tuple[float, float]] = {}  # pid -> (first, last) CPU seconds
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, conn) -> None:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        for (pid,) in pids:
            try:
                cpu = _cpu_seconds(pid)
            except FileNotFoundError:
                continue
            first, _ = self.seen.get(pid, (cpu, cpu))
            self.seen[pid] = (first, cpu)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                self._sample(conn)
                self.stop.wait(self.interval_s)
            self._sample(conn)

    def __enter__(self):
        with psycopg.connect(self.url, autocommit=True) as conn:
            self._sample(conn)  # the worker's connection, before the export
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(last - first for first, last in self.seen.values())


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    sys.exit("gunicorn started no worker")


def _get(port: int, path: str, secret: str, sink) -> tuple[int, int, int]:
    """GET and pass the body to ``sink`` in pieces; return (status, bytes, newlines)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    conn.request("GET", path, headers={"Authorization": f"Bearer {secret}"})
    response = conn.getresponse()
    size = newlines = 0
    while piece := response.read(1 << 20):
        size += len(piece)
        newlines += piece.count(b"\n")
        sink(piece)
    conn.close()
    return response.status, size, newlines


def _measure(fmt, port, env, secret, start, end, expected) -> dict:
    port = port or _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "--workers", "1", "--bind", f"127.0.0.1:{port}",
            "--timeout", "900", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        worker = _worker_pid(server.pid)
        path = f"/api/v1/export/readings.{fmt}?"
        one_day = {"meter": "E-00000", "start": start.isoformat(),
                   "end": (start + timedelta(days=1)).isoformat()}  # fmt: skip
        status, _, _ = _get(port, path + urlencode(one_day), secret, lambda piece: None)
        assert status == 200, status
        idle_kb = _status_kb(worker, "VmHWM")
        worker_before = _cpu_seconds(worker)
        client_before = time.process_time()
        query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
        with (
            tempfile.NamedTemporaryFile(suffix=f".{fmt}") as body,
            _BackendCpu(env["DATABASE_URL"]) as backends,
        ):
            sink = body.write if fmt == "parquet" else (lambda piece: None)
            started = time.perf_counter()
            status, size, newlines = _get(port, path + query, secret, sink)
            seconds = time.perf_counter() - started
            client_cpu = time.process_time() - client_before
            worker_cpu = _cpu_seconds(worker) - worker_before
            load = os.getloadavg()[0]
            assert status == 200, status
            if fmt == "parquet":
                import pyarrow.parquet as pq

                body.flush()
                rows = pq.ParquetFile(body.name).metadata.num_rows
            else:
                rows = newlines - 1  # the header
        peak_kb = _status_kb(worker, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    if rows != expected:
        print(f"{fmt}: {rows:,} readings received, {expected:,} expected")
    result = {
        "format": fmt,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "megabytes": size / 1e6,
        "rss_idle_mb": idle_kb / 1024,
        "rss_peak_mb": peak_kb / 1024,
        # CPU seconds per million readings: what the two cores must supply, whatever else runs.
        "cpu_s_per_m": {
            "web worker": worker_cpu * 1e6 / rows,
            "postgresql": backends.seconds * 1e6 / rows,
            "client": client_cpu * 1e6 / rows,
        },
        "load_1min": load,
    }
    print(
        f"{fmt}: {rows:,} readings in {seconds:.1f} s = {rows / seconds:,.0f}/s, "
        f"{size / 1e6:,.0f} MB; worker peak RSS {idle_kb / 1024:.0f} → {peak_kb / 1024:.0f} MB"
    )
    print(
        "  CPU s per million readings: "
        + ", ".join(f"{name} {value:.2f}" for name, value in result["cpu_s_per_m"].items())
        + f"; load average (1 min) at the end {load:.1f}"
    )
    return result


if __name__ == "__main__":
    main()
