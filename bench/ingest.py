"""End-to-end ingest throughput: HTTP POST → Celery worker → PostgreSQL, against plain COPY.

Starts gunicorn and one Celery worker (prefork) on PostgreSQL and Redis, posts N readings
(default 1,000 meters × 2,000 half-hours = 2,000,000) through ``POST /api/v1/ingest/readings/``
in CSV batches from a few client threads, waits until every batch is ``done`` and reports
readings/s from the first POST to the last batch done. Then it COPYs the same rows with
psycopg into a scratch table with the same (meter_id, ts) key and reports that rate and the
ratio. The database named by --database is dropped and recreated.

    make bench-ingest
    .venv/bin/python bench/ingest.py --meters 1000 --intervals 2000 --batch-rows 10000

Not part of the test run; a figure for docs/benchmarks.md.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--intervals", type=int, default=2000, help="30-minute readings per meter")
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent posting threads")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4, help="threads per web worker")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument(
        "--pg",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL (no database)",
    )
    parser.add_argument("--database", default="shoene_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    database_url = f"{args.pg}/{args.database}"
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis,
        "DJANGO_DEBUG": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    token, meter_serials = _setup_meters(args.meters)
    bodies, total_rows, copy_text = _bodies(meter_serials, args.intervals, args.batch_rows)
    print(f"{total_rows:,} readings in {len(bodies)} batches of up to {args.batch_rows:,} rows")

    processes = [
        subprocess.Popen(
            # The production settings (config/gunicorn.py), sized for this machine.
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env={
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{args.port}",
                "GUNICORN_WORKERS": str(args.web_workers),
                "GUNICORN_THREADS": str(args.web_threads),
                "GUNICORN_LOG_LEVEL": "warning",
            },
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-c",
                str(args.worker_concurrency),
                "--pool",
                "prefork",
                "-l",
                "WARNING",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    try:
        _wait_http(args.port)
        _wait_worker()
        groups = {"web": processes[0].pid, "worker": processes[1].pid}
        cpu_before = _cpu_seconds(groups)
        elapsed = _post_all(args.port, token, bodies, args.clients)
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in _cpu_seconds(groups).items()}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    from energy.models import IngestBatch, Reading

    stored = Reading.objects.count()
    failed = IngestBatch.objects.exclude(status="done").count()
    end_to_end = total_rows / elapsed
    print(
        f"end to end: {total_rows:,} readings in {elapsed:.1f} s = {end_to_end:,.0f} readings/s "
        f"({stored:,} stored, {failed} batches not done)"
    )

    print(
        "CPU seconds while ingesting (2 cores: at most "
        f"{2 * elapsed:.1f}): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(cpu.items()))
    )
    # The rows as stored (with their source time), and without it as before issue 18.
    copy_rate = _copy_rate(database_url, copy_text, total_rows, source_time=True)
    without = _copy_rate(database_url, copy_text, total_rows, source_time=False)
    print(
        f"plain COPY: {copy_rate:,.0f} readings/s of the same rows into a table keyed "
        f"(meter_id, ts); {without:,.0f} readings/s without their source_time column"
    )
    print(
        f"ratio end-to-end / COPY: {end_to_end / copy_rate:.2f} "
        f"({end_to_end / without:.2f} against the COPY without source_time)"
    )
    if stored != total_rows or failed:
        sys.exit("readings were lost or batches did not finish")


def _setup_meters(count: int) -> tuple[str, list[str]]:
    from django.contrib.auth.models import Group, User

    from energy.access import METER_GATEWAYS
    from energy.apikeys.services import api_key_create
    from energy.models import Meter, Premise, Region

    region = Region.objects.create(name="Sapporo", time_zone="Asia/Tokyo")
    owner = User.objects.create(username="bench-owner")
    gateway = User.objects.create(username="bench-gateway")
    gateway.groups.add(Group.objects.get(name=METER_GATEWAYS))
    premises = Premise.objects.bulk_create(
        Premise(owner=owner, region=region, dwelling_type="apartment", floor_area_m2=60)
        for _ in range(count)
    )
    meters = Meter.objects.bulk_create(
        Meter(premise=p, serial=f"B-{i:06d}", commodity="electricity", unit="kWh")
        for i, p in enumerate(premises)
    )
    _, secret = api_key_create(name="bench", user=gateway, scopes=["ingest"])
    return secret, [m.serial for m in meters]


def _bodies(serials: list[str], intervals: int, batch_rows: int):
    """CSV bodies, each for a block of meters over all intervals (as a gateway would send)."""
    from energy.models import Meter

    ids = dict(Meter.objects.values_list("serial", "pk"))
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(minutes=30 * (intervals + 2))
    stamps = [(start + timedelta(minutes=30 * i)).isoformat() for i in range(intervals)]
    meters_per_batch = max(1, batch_rows // intervals)
    bodies, copy_lines, total = [], [], 0
    for first in range(0, len(serials), meters_per_batch):
        block = serials[first : first + meters_per_batch]
        lines = ["meter,ts,value\n"]
        for n, serial in enumerate(block):
            for i, stamp in enumerate(stamps):
                value = f"{0.05 + ((first + n) * 7 + i * 13) % 100 / 100:.3f}"
                lines.append(f"{serial},{stamp},{value}\n")
                copy_lines.append(f"{ids[serial]}\t{stamp}\t{value}\tmeasured\t{now}\n")
        bodies.append("".join(lines).encode())
        total += len(block) * intervals
    return bodies, total, "".join(copy_lines).encode()


def _cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) so far of each process tree in ``groups`` (name: root pid), of
    PostgreSQL's processes and of this client, read from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent, spent, names = {}, {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        fields = rest.split()
        pid = int(entry.name)
        parent[pid], names[pid] = int(fields[1]), name
        # Its own time and that of its children that have exited (PostgreSQL's backends of
        # closed connections are counted in the postmaster).
        spent[pid] = sum(int(field) for field in fields[11:15]) / ticks
    totals: dict[str, float] = {}
    for pid, seconds in spent.items():
        if pid == os.getpid():
            group = "client"
        elif names[pid] == "postgres":
            group = "postgres"
        else:
            group, up = None, pid
            while up in parent and group is None:
                group = next((g for g, root in groups.items() if root == up), None)
                up = parent[up] if parent[up] != up else None
            if group is None:
                continue
        totals[group] = totals.get(group, 0.0) + seconds
    return totals


def _wait_http(port: int) -> None:
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def _wait_worker() -> None:
    from config.celery_app import app

    for _ in range(60):
        if app.control.ping(timeout=1.0):
            return
    sys.exit("the Celery worker did not answer")


def _post_all(port: int, token: str, bodies: list[bytes], clients: int) -> float:
    from energy.models import IngestBatch

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    local = threading.local()

    def post(body: bytes) -> None:
        if not hasattr(local, "client"):  # one keep-alive connection per thread
            local.client = httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
            )
        response = local.client.post("/api/v1/ingest/readings/", content=body)
        if response.status_code != 202:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(tqdm(pool.map(post, bodies), total=len(bodies), desc="posting", unit="batch"))
    posted = time.perf_counter() - started
    with tqdm(total=len(bodies), desc="processing", unit="batch") as bar:
        while True:
            done = IngestBatch.objects.filter(status__in=["done", "failed"]).count()
            bar.update(done - bar.n)
            if done >= len(bodies):
                break
            time.sleep(0.2)
    elapsed = time.perf_counter() - started
    print(
        f"all {len(bodies)} bodies accepted (202) after {posted:.1f} s, "
        f"all done after {elapsed:.1f} s"
    )
    return elapsed


def _copy_rate(database_url: str, copy_text: bytes, rows: int, *, source_time: bool) -> float:
    """Rows/s of one plain COPY (text) into a table keyed like the readings."""
    if not source_time:  # the last column dropped from every line
        copy_text = b"\n".join(line.rsplit(b"\t", 1)[0] for line in copy_text.split(b"\n"))
    columns = "meter_id, ts, value, quality" + (", source_time" if source_time else "")
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "CREATE TABLE bench_copy (meter_id bigint NOT NULL, ts timestamptz NOT NULL,"
            " value double precision NOT NULL, quality varchar(10) NOT NULL,"
            " source_time timestamptz, PRIMARY KEY (meter_id, ts))"
        )
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy,
        ):
            for offset in range(0, len(copy_text), 1 << 20):
                copy.write(copy_text[offset : offset + (1 << 20)])
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return rows / elapsed


if __name__ == "__main__":
    main()
