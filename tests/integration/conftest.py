"""Real processes for integration tests: a Celery worker on Redis, using the test database."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery_app import app as celery_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _require(condition: bool, what: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI")
    pytest.skip(f"needs {what}: run under make test, which sets it; under CI this fails")


def test_database_url() -> str:
    """A URL for the database the tests use (pytest-django's test_… database)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """A Celery worker process on the test Redis.

    It logs JSON lines (as in production) and traces its tasks without exporting them
    (``OTEL_TRACES_EXPORTER=none``): the trace context of the request that queued a task
    reaches the task's log lines.
    """

    def __init__(self, *, log_path: Path, concurrency: int = 1, name: str = "") -> None:
        self.name = name or f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_CONN_MAX_AGE": "0",
            "LOG_FORMAT": "json",
            "OTEL_TRACES_EXPORTER": "none",
        }
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-n",
                self.name,
                "--concurrency",
                str(concurrency),
                "--pool",
                "prefork",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log_tail()}")
            if celery_app.control.ping(destination=[self.name], timeout=1.0):
                return
        raise RuntimeError(f"Celery worker did not answer a ping:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_lines(self) -> list[dict]:
        """The worker's JSON log lines, as dicts (other output, if any, left out)."""
        self.log.flush()
        lines = []
        for line in self.log_path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return lines

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real Celery worker (prefork) for the session, consuming from the test Redis."""
    with django_db_blocker.unblock():
        _require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    _require(bool(settings.REDIS_URL), "Redis (REDIS_URL)")
    # The test Redis database is ours: start without messages left by an earlier run.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    worker = WorkerProcess(log_path=tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports that are free now."""
    import socket

    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        taken = False
        for port in range(first, first + count):
            with socket.socket() as probe:
                try:
                    probe.bind(("0.0.0.0", port))
                except OSError:
                    taken = True
                    break
        if not taken:
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


class PrivateRedis:
    """A redis-server of the test's own on a free port: stopped and started by the test, never
    the shared one."""

    def __init__(self, *, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 20.0) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture
def private_redis(tmp_path):
    import shutil

    if shutil.which("redis-server") is None:
        _require(False, "redis-server (Debian's redis-server package)")
    server = PrivateRedis(directory=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
