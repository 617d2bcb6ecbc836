"""A private Shoene stack for failure drills: its own PostgreSQL and Redis servers, and real
gunicorn, Celery worker and beat processes, each of which a drill may kill and start again.

Nothing here touches the shared servers on 5432 and 6379: the drills stop and restart their
databases and brokers, so each run starts its own, on free ports, in a temporary folder.
``bench/load.py`` uses the same stack for the full-length load test.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DB = "shoene_drill_template"
# A year and a half before the demo data (which ends yesterday): drill readings never touch
# the demo's days, and are never "in the future".
DRILL_EPOCH = datetime(2024, 1, 1, 15, 0, tzinfo=UTC)  # 2024-01-02 00:00 in Sapporo


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if found:
        return Path(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise StackError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


def tools_missing() -> list[str]:
    missing = []
    try:
        postgres_bin_dir()
    except StackError:
        missing.append("PostgreSQL server binaries (initdb, pg_ctl)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, trust auth, started and stopped at will.

    fsync is off: the drills restart the server process, not the machine, and the operating
    system keeps every write across a server crash (fsync only matters for power loss).
    """

    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="shoene-drill-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        # The server refuses to run as root: as root, it runs as the postgres user.
        self.as_user = "postgres" if os.geteuid() == 0 else None
        if self.as_user:
            shutil.chown(self.dir, user=self.as_user)

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StackError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=300 -c shared_buffers=64MB"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def stop(self, *, mode: str = "fast") -> None:
        """``fast`` disconnects clients and shuts down; ``immediate`` is a crash (no checkpoint)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def log(self) -> Path:
        return self.dir / "server.log"

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5)

    def create_database(self, name: str, *, template: str | None = None) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{suffix}')

    def destroy(self, *, keep_log_in: Path | None = None) -> None:
        with contextlib.suppress(StackError):
            self.stop(mode="immediate")
        if keep_log_in is not None and self.log.exists():
            shutil.copy(self.log, keep_log_in / "postgres.log")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server on a free port that keeps nothing on disk: a restart loses every message."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--logfile", str(self.log_path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise StackError(f"redis-server did not start on port {self.port}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: the broker vanishes with every queued and unacknowledged message."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class AppProcess:
    """A gunicorn, Celery worker or beat process in its own session (so its children die too)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the process and all its children (a Celery worker's pool)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        if sig == signal.SIGKILL:
            self.process.wait()

    def stop(self, timeout_s: float = 15) -> None:
        """SIGTERM to the main process (a warm shutdown), then SIGKILL to whatever is left."""
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
        # A pool child left behind by a SIGKILLed parent still belongs to the session.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_for_log(self, pattern: str, timeout_s: float = 60) -> None:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if regex.search(self.log_text()):
                return
            if not self.running:
                raise StackError(f"{self.name} exited:\n{self.log_tail()}")
            time.sleep(0.1)
        raise StackError(f"{self.name}: no {pattern!r} within {timeout_s} s:\n{self.log_tail()}")


@dataclass
class Deployment:
    """One drill's database on the private servers, and the processes serving it."""

    stack: Stack
    database: str
    redis_db: int
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[AppProcess] = field(default_factory=list)
    web_port: int = 0
    _counter: int = 0

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": self.stack.postgres.url(self.database),
            "REDIS_URL": self.stack.redis.url(self.redis_db),
            "CELERY_BROKER_URL": self.stack.redis.url(self.redis_db),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CACHE_KEY_PREFIX": self.database,
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def _name(self, kind: str) -> str:
        self._counter += 1
        return f"{self.database}-{kind}-{self._counter}"

    def start_worker(self, *, concurrency: int = 1, wait: bool = True) -> AppProcess:
        name = self._name("worker")
        worker = AppProcess(
            name,
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                *("-n", f"{name}@localhost", "--concurrency", str(concurrency)),
                *(
                    "--pool",
                    "prefork",
                    "--loglevel",
                    "INFO",
                    "--without-mingle",
                    "--without-gossip",
                ),
            ],
            self.env,
            self.stack.log_dir,
        )
        self.processes.append(worker)
        if wait:
            worker.wait_for_log(r"\bready\.")
        return worker

    def start_beat(self) -> AppProcess:
        name = self._name("beat")
        beat = AppProcess(
            name,
            [
                *(sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"),
                *("--schedule", str(self.stack.log_dir / f"{name}-schedule")),
            ],
            self.env,
            self.stack.log_dir,
        )
        self.processes.append(beat)
        beat.wait_for_log(r"beat: Starting")
        return beat

    def start_web(self, *, workers: int = 2, threads: int = 4) -> AppProcess:
        self.web_port = self.web_port or free_port()
        web = AppProcess(
            self._name("web"),
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            {
                **self.env,
                "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
                "GUNICORN_WORKERS": str(workers),
                "GUNICORN_THREADS": str(threads),
                "GUNICORN_ACCESS_LOG": "",
                "GUNICORN_MAX_REQUESTS": "0",
            },
            self.stack.log_dir,
        )
        self.processes.append(web)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return web
            if not web.running:
                raise StackError(f"gunicorn exited:\n{web.log_tail()}")
            time.sleep(0.2)
        raise StackError(f"gunicorn did not answer /healthz:\n{web.log_tail()}")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self.stack.postgres.connect(self.database) as conn:
            return conn.execute(sql, tuple(params)).fetchall()

    def stop_all(self, timeout_s: float = 10) -> None:
        """SIGTERM to every process at once, then SIGKILL to whatever is left after the wait."""
        for process in self.processes:
            if process.running:
                process.process.terminate()
        deadline = time.monotonic() + timeout_s
        for process in self.processes:
            process.stop(timeout_s=max(0.1, deadline - time.monotonic()))
        self.processes.clear()


class Stack:
    """The private servers and a migrated, seeded template database each drill copies."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.postgres = PrivatePostgres()
        self.redis = PrivateRedis(log_dir)
        self._databases = 0
        self.gateway_secret = ""

    def start(self) -> None:
        self.postgres.init()
        self.redis.start()
        self.postgres.create_database(TEMPLATE_DB)
        seeding = Deployment(self, TEMPLATE_DB, redis_db=15)
        seeding.manage("migrate", "--noinput", "-v", "0")
        # Customers with a few weeks of readings (the portal pages of the load drill) and the
        # demo gateway's token; drill meters of their own for the failure drills.
        seeding.manage("seed_demo", "--premises", "3", "--days", "40", "-v", "0")
        seeding.manage("shell", "-c", DRILL_METERS_SEED)
        # The drills' gateway key (ingest scope), made as an operator would. Its rate is far
        # above the load drill's: the drills measure the stack, not the per-key throttle.
        self.gateway_secret = seeding.manage(
            *("api_key", "create", "--name", "drills", "--user", "gateway"),
            *("--scope", "ingest", "--rate", "100000/min"),
        ).strip()

    def deployment(self, name: str, **extra_env: str) -> Deployment:
        # A drill that failed half-way may have left a server stopped.
        if not self.postgres.running:
            self.postgres.start()
        if not self.redis.running:
            self.redis.start()
        self._databases += 1
        database = f"shoene_drill_{name}"
        self.postgres.create_database(database, template=TEMPLATE_DB)
        # Redis database numbers 1-14: each drill starts with an empty broker of its own.
        return Deployment(
            self, database, redis_db=self._databases % 14 + 1, extra_env=dict(extra_env)
        )

    def destroy(self) -> None:
        self.redis.kill()
        self.postgres.destroy(keep_log_in=self.log_dir)


DRILL_METER_COUNT = 8
DRILL_METERS_SEED = f"""
from energy.models import Meter, Premise
premise = Premise.objects.order_by("pk").first()
for n in range(1, {DRILL_METER_COUNT} + 1):
    Meter.objects.get_or_create(
        serial=f"DRILL-{{n:04d}}",
        defaults=dict(premise=premise, commodity="electricity", unit="kWh", interval_minutes=30),
    )
"""


def gateway_authorization(deployment: Deployment) -> str:
    """The Authorization header value of the drills' meter gateway (an API key)."""
    return f"Bearer {deployment.stack.gateway_secret}"


# The edge gateway's settings in the drills: short waits, so an outage is noticed in seconds.
GATEWAY_SETTINGS = {
    "batch_max_readings": "200",
    "batch_max_wait_s": "0.5",
    "poll_interval_s": "0.2",
    "request_timeout_s": "5",
    "backoff_base_s": "0.2",
    "backoff_cap_s": "2",
    "breaker_failures": "3",
    "breaker_open_s": "2",
    "status_every_s": "2",
}


def gateway_env(deployment: Deployment, *, source_csv: Path, buffer_path: Path, **settings) -> dict:
    """The environment of an edge gateway (``python -m gateway run``) tailing ``source_csv``
    into this deployment, with GATEWAY_SETTINGS overridden by ``settings``."""
    scheme, key = gateway_authorization(deployment).split(" ", 1)
    chosen = {**GATEWAY_SETTINGS, **settings}
    return {
        **deployment.env,
        "SHOENE_GATEWAY_URL": deployment.base_url,
        "SHOENE_GATEWAY_API_KEY": key,
        "SHOENE_GATEWAY_AUTH_SCHEME": scheme,
        "SHOENE_GATEWAY_SOURCE": f"csv:{source_csv}",
        "SHOENE_GATEWAY_BUFFER_PATH": str(buffer_path),
        **{f"SHOENE_GATEWAY_{name.upper()}": str(value) for name, value in chosen.items()},
    }


def gateway_status(buffer_path: Path) -> dict:
    """What a gateway's buffer holds, sent and dropped (``gateway status --json``)."""
    answer = subprocess.run(
        [sys.executable, "-m", "gateway", "status", "--json", "--buffer-path", str(buffer_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(answer.stdout)


# --- Readings and what became of them -------------------------------------------------------


Reading = tuple[str, datetime, float]  # (meter serial, interval start, value)


def drill_readings(
    *, meters: int = DRILL_METER_COUNT, intervals: int, offset: int = 0
) -> list[Reading]:
    """Distinct readings for the drill meters, ``intervals`` half-hours each from ``offset``."""
    readings = []
    for m in range(1, meters + 1):
        for i in range(offset, offset + intervals):
            value = round(0.05 + ((m * 37 + i * 11) % 200) / 100, 3)
            readings.append((f"DRILL-{m:04d}", DRILL_EPOCH + timedelta(minutes=30 * i), value))
    return readings


def csv_body(readings: Iterable[Reading]) -> bytes:
    lines = ["meter,ts,value\n"]
    lines += [f"{serial},{ts.isoformat()},{value}\n" for serial, ts, value in readings]
    return "".join(lines).encode()


def chunks(items: list, size: int) -> Iterator[list]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


@dataclass
class Outcome:
    """What a drill checked: readings sent, accepted (202), stored, lost and duplicated, and the
    batches answered 202 against the batches stored."""

    sent: int
    accepted: int
    stored: int
    lost: int
    wrong_value: int
    duplicates: int
    batches: dict[str, int]
    batches_missing: int
    batches_unanswered: int
    rollup_mismatches: int

    def report(self, drill: str) -> str:
        return (
            f"{drill}: readings sent={self.sent} accepted={self.accepted} stored={self.stored} "
            f"lost={self.lost} wrong_value={self.wrong_value} duplicates={self.duplicates} "
            f"rollup_mismatches={self.rollup_mismatches} batches={self.batches} "
            f"batches_missing={self.batches_missing} batches_unanswered={self.batches_unanswered}"
        )


def outcome(
    deployment: Deployment,
    *,
    sent: list[Reading],
    accepted: list[Reading],
    batch_ids: list[str] | None = None,
) -> Outcome:
    """Compare, reading by reading and batch by batch, what the server stored for the drill
    meters with what the client sent and was answered 202 for.

    * ``lost``: a reading sent that is not stored (``wrong_value``: stored with another value).
    * ``duplicates``: readings taken in more often than they were accepted — per (meter, ts),
      the times it appears in the stored batches beyond the times the client had it accepted
      (a retried post stored twice) — plus readings counted as new by more than one batch
      (the batches' accepted counts beyond the readings stored: a batch processed twice).
    * ``batches_missing``: batch ids answered 202 but not stored; ``batches_unanswered``: batches
      stored that no 202 named (only when ``batch_ids`` is given).
    """
    stored_rows = deployment.query(
        "SELECT m.serial, r.ts, r.value FROM energy_reading r "
        "JOIN energy_meter m ON m.id = r.meter_id WHERE m.serial LIKE 'DRILL-%%'"
    )
    stored = {(serial, ts): value for serial, ts, value in stored_rows}
    expected = {(serial, ts): value for serial, ts, value in sent}
    lost = sum(1 for key in expected if key not in stored)
    wrong = sum(1 for key, value in expected.items() if key in stored and stored[key] != value)

    batch_rows = deployment.query(
        "SELECT id::text, format, payload, status, accepted_count FROM energy_ingestbatch "
        "WHERE source <> 'demo'"
    )
    accepted_per_key = Counter((serial, ts) for serial, ts, _ in accepted)
    in_batches_per_key: Counter = Counter()
    for _, batch_format, payload, _, _ in batch_rows:
        in_batches_per_key.update(payload_keys(batch_format, payload))
    taken_in_twice = sum(
        max(0, times - accepted_per_key[key]) for key, times in in_batches_per_key.items()
    )
    counted_new = sum(count or 0 for _, _, _, status, count in batch_rows if status == "done")
    counted_twice = max(0, counted_new - len(stored))

    stored_ids = {batch_id for batch_id, *_ in batch_rows}
    answered_ids = set(batch_ids or ())
    return Outcome(
        sent=len(expected),
        accepted=len(accepted),
        stored=len(stored),
        lost=lost,
        wrong_value=wrong,
        duplicates=taken_in_twice + counted_twice,
        batches=batch_statuses(deployment),
        batches_missing=len(answered_ids - stored_ids),
        batches_unanswered=len(stored_ids - answered_ids) if batch_ids is not None else 0,
        rollup_mismatches=rollup_mismatches(deployment),
    )


def payload_keys(batch_format: str, payload: str) -> list[tuple[str, datetime]]:
    """The (meter serial, interval start) of every row of a stored batch's raw payload."""
    if batch_format == "json":
        rows = json.loads(payload)["readings"]
    elif batch_format == "csv":
        rows = list(csv.DictReader(io.StringIO(payload)))
    else:
        raise AssertionError(f"a drill batch in {batch_format}: the drills send CSV and JSON")
    return [(row["meter"], datetime.fromisoformat(row["ts"])) for row in rows]


def rollup_mismatches(deployment: Deployment) -> int:
    """Days of the drill meters whose rollup differs from their stored readings, recomputed."""
    rows = deployment.query(
        """
        WITH expected AS (
            SELECT r.meter_id, (r.ts AT TIME ZONE 'Asia/Tokyo')::date AS date,
                   sum(r.value) AS total, count(*) AS intervals
            FROM energy_reading r JOIN energy_meter m ON m.id = r.meter_id
            WHERE m.serial LIKE 'DRILL-%%'
            GROUP BY 1, 2
        ), actual AS (
            SELECT d.meter_id, d.date, d.total, d.intervals
            FROM energy_dailyusage d JOIN energy_meter m ON m.id = d.meter_id
            WHERE m.serial LIKE 'DRILL-%%'
        )
        SELECT count(*) FROM expected e FULL JOIN actual a USING (meter_id, date)
        WHERE a.total IS NULL OR e.total IS NULL OR abs(a.total - e.total) > 1e-6
              OR a.intervals <> e.intervals
        """
    )
    return rows[0][0]


def batch_statuses(deployment: Deployment) -> dict[str, int]:
    """How many of the drill's batches (not the demo data's) are in each status."""
    return dict(
        deployment.query(
            "SELECT status, count(*) FROM energy_ingestbatch WHERE source <> 'demo' GROUP BY 1"
        )
    )


def stored_count(deployment: Deployment) -> int:
    """Readings stored for the drill meters."""
    return deployment.query(
        "SELECT count(*) FROM energy_reading r JOIN energy_meter m ON m.id = r.meter_id "
        "WHERE m.serial LIKE 'DRILL-%%'"
    )[0][0]


def wait_until_batches_settle(
    deployment: Deployment, *, timeout_s: float, expected: int | None = None
) -> dict[str, int]:
    """Wait until every batch is done or failed (and, if given, ``expected`` batches exist)."""
    deadline = time.monotonic() + timeout_s
    while True:
        counts = batch_statuses(deployment)
        unsettled = counts.get("received", 0) + counts.get("processing", 0)
        total = sum(counts.values())
        if not unsettled and (expected is None or total >= expected):
            return counts
        if time.monotonic() > deadline:
            logs = "\n".join(
                f"--- {p.name}\n{p.log_tail(15)}"
                for p in deployment.processes
                if "worker" in p.name
            )
            raise AssertionError(f"batches not settled after {timeout_s} s: {counts}\n{logs}")
        time.sleep(0.25)


def now_utc() -> datetime:
    return datetime.now(UTC)


class ClientThread(threading.Thread):
    """A drill's client running beside the test: what it dies of fails the test, with its
    message, from the test's own thread (``check``, ``wait_for``, ``finish``) — not as a
    pytest warning about an unhandled thread exception."""

    def __init__(self, name: str, target: Callable[[], None]) -> None:
        super().__init__(name=name, daemon=True)
        self._client = target
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._client()
        except BaseException as exc:  # handed to the test's thread by check()
            self.error = exc

    def check(self) -> None:
        if self.error is not None:
            raise AssertionError(f"{self.name} failed: {self.error}") from self.error

    def finish(self, *, timeout_s: float) -> None:
        """Wait for the client to end; fail with its error, or if it is still running."""
        self.join(timeout_s)
        self.check()
        assert not self.is_alive(), f"{self.name} still running after {timeout_s:g} s"


def wait_for(
    condition: Callable[[], object],
    *,
    timeout_s: float,
    what: str,
    clients: Iterable[ClientThread] = (),
    detail: Callable[[], str] = lambda: "",
):
    """Poll ``condition`` until it is true (and return its value); fail after ``timeout_s``
    saying ``what`` did not happen, or at once when a client thread has died."""
    deadline = time.monotonic() + timeout_s
    while True:
        for client in clients:
            client.check()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:g} s. {detail()}")
        time.sleep(0.05)


class IngestClient:
    """Posts batches like a careful gateway: an idempotency key per batch, and on 503 or a
    refused connection the same batch again after Retry-After (capped for the drills).

    Every answer's status is counted; ``accepted`` holds the readings of batches answered 202.
    """

    def __init__(self, deployment: Deployment, *, retry_cap_s: float = 1.0) -> None:
        self.deployment = deployment
        self.http = httpx.Client(
            base_url=deployment.base_url,
            headers={"Authorization": gateway_authorization(deployment)},
            timeout=30,
        )
        self.retry_cap_s = retry_cap_s
        self.statuses: dict[int | str, int] = {}
        # The Retry-After header of every 503 answered ("" when it had none).
        self.retry_after: list[str] = []
        self.accepted: list[Reading] = []
        self.batch_ids: list[str] = []

    def post(self, readings: list[Reading], *, key: str, give_up_after_s: float = 120) -> str:
        deadline = time.monotonic() + give_up_after_s
        body = csv_body(readings)
        while True:
            try:
                response = self.http.post(
                    "/api/v1/ingest/readings/",
                    content=body,
                    headers={"Content-Type": "text/csv", "Idempotency-Key": key},
                )
            except httpx.TransportError as exc:
                self._count(type(exc).__name__)
                wait_s = self.retry_cap_s
            else:
                self._count(response.status_code)
                if response.status_code == 202:
                    self.accepted.extend(readings)
                    self.batch_ids.append(response.json()["id"])
                    return response.json()["id"]
                if response.status_code != 503:
                    raise AssertionError(
                        f"ingest answered {response.status_code}: {response.text[:500]}"
                    )
                self.retry_after.append(response.headers.get("Retry-After", ""))
                wait_s = min(float(response.headers.get("Retry-After") or 1), self.retry_cap_s)
            if time.monotonic() > deadline:
                raise AssertionError(f"batch {key} not accepted in {give_up_after_s} s")
            time.sleep(wait_s)

    def _count(self, status: int | str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def close(self) -> None:
        self.http.close()


def send_task(deployment: Deployment, name: str, *args) -> None:
    """Put a task message on the drill's broker, as a redelivery would."""
    from celery import Celery
    from django.conf import settings

    app = Celery("drill", broker=deployment.stack.redis.url(deployment.redis_db))
    app.conf.update(task_serializer="json", accept_content=["json"])
    with app.connection_for_write() as connection:
        app.send_task(
            name, args=list(args), queue=settings.CELERY_TASK_DEFAULT_QUEUE, connection=connection
        )
