"""Chaos run: ingest at a steady rate through the edge gateway for --minutes while workers are
killed, Redis is restarted empty and PostgreSQL crashes, at random moments.

Starts a private stack (tests/integration/drills/stack.py: its own PostgreSQL and Redis on free
ports, seeded), gunicorn, Celery beat (the sweeper), two Celery workers and the edge gateway
(``python -m gateway run``) reading a CSV file that a simulated meter appends to at --rate
readings a second. Every --min-gap to --max-gap seconds one fault, chosen at random (--seed):

* ``worker``: a Celery worker and its pool are SIGKILLed mid-batch; a new one starts a few
  seconds later, as an orchestrator would restart it;
* ``redis``: Redis (broker and cache, nothing on disk) is SIGKILLed and started again empty;
* ``postgres``: PostgreSQL shuts down immediately (a crash) and starts again after a few seconds.

Then the meter stops, the gateway drains its buffer, the batches settle, and the run reports
readings sent / accepted / stored / lost / duplicated, rollup days that disagree with the
readings, the web's 5xx answers by status (a 503 with Retry-After is allowed, a 500 never), and
the longest wait: from the meter writing a reading to its batch being done, and from a batch
being received to being done. Exits 1 if anything was lost, duplicated, wrong, or answered 500.

    make drill-chaos                         # 10 minutes
    .venv/bin/python bench/chaos.py --minutes 2 --seed 7

Not part of CI (the drills in tests/integration/drills/ are its short, single-fault versions);
the figures go into docs/benchmarks.md.
"""

import argparse
import json
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.drills.stack import (  # noqa: E402
    AppProcess,
    Deployment,
    Stack,
    drill_readings,
    gateway_env,
    gateway_status,
    outcome,
    payload_keys,
    wait_until_batches_settle,
)

FAULTS = ("worker", "redis", "postgres")
SWEEPER = {
    "INGEST_REQUEUE_EVERY_S": "2",
    "INGEST_REQUEUE_RECEIVED_AFTER_S": "10",
    "INGEST_REQUEUE_PROCESSING_AFTER_S": "20",
}
HTTP_STATUS = re.compile(r'"http_status": (\d{3})')


class Meter(threading.Thread):
    """Appends every drill meter's reading for one interval after another to the gateway's CSV
    file at ``rate`` readings a second, noting when each interval was written."""

    def __init__(self, path: Path, readings: list, rate: float) -> None:
        super().__init__(name="meter", daemon=True)
        self.path = path
        self.intervals = [readings[i : i + 8] for i in range(0, len(readings), 8)]
        self.rate = rate
        self.written: list = []
        self.written_at: dict = {}  # (serial, ts) -> monotonic-free wall time (UTC)
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            started = time.monotonic()
            with self.path.open("a") as file:
                for interval in self.intervals:
                    if self.stop.is_set():
                        return
                    due = started + (len(self.written) + len(interval)) / self.rate
                    time.sleep(max(0.0, due - time.monotonic()))
                    file.writelines(
                        f"{serial},{ts.isoformat()},{value}\n" for serial, ts, value in interval
                    )
                    file.flush()
                    now = datetime.now(UTC)
                    for serial, ts, _ in interval:
                        self.written_at[(serial, ts)] = now
                    self.written.extend(interval)
        except BaseException as exc:  # reported by the main thread
            self.error = exc


class Faults:
    """Injects one fault at a time at random moments and keeps a log of what it did."""

    def __init__(self, deployment: Deployment, stack: Stack, rng: random.Random) -> None:
        self.deployment = deployment
        self.stack = stack
        self.rng = rng
        self.workers = [deployment.start_worker(concurrency=1) for _ in range(2)]
        self.log: list[tuple[float, str, str]] = []  # (seconds into the run, fault, what)
        self.started = time.monotonic()

    def note(self, fault: str, what: str) -> None:
        elapsed = time.monotonic() - self.started
        self.log.append((round(elapsed, 1), fault, what))
        print(f"  {elapsed:6.1f} s  {what}", flush=True)

    def inject(self, fault: str) -> None:
        down_s = self.rng.uniform(1, 6)
        if fault == "worker":
            victim = self.rng.choice([w for w in self.workers if w.running])
            victim.kill(signal.SIGKILL)
            self.workers.remove(victim)
            self.note(fault, f"killed worker {victim.name}; a new one in {down_s:.1f} s")
            time.sleep(down_s)
            self.workers.append(self.deployment.start_worker(concurrency=1, wait=False))
        elif fault == "redis":
            self.stack.redis.kill()
            self.note(fault, f"Redis killed (its queue lost); started again in {down_s:.1f} s")
            time.sleep(down_s)
            self.stack.redis.start()
        else:
            self.stack.postgres.stop(mode="immediate")
            self.note(fault, f"PostgreSQL crashed; started again in {down_s:.1f} s")
            time.sleep(down_s)
            self.stack.postgres.start()


def wait_until(condition, *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"chaos run: {what} not within {timeout_s:g} s")
        time.sleep(0.5)


def longest_waits(deployment: Deployment, written_at: dict) -> tuple[float, float]:
    """(meter wrote → batch done, batch received → done), the longest of each, in seconds."""
    rows = deployment.query(
        "SELECT format, payload, received_at, finished_at FROM energy_ingestbatch "
        "WHERE source <> 'demo' AND status = 'done'"
    )
    stored_at: dict = {}
    server = 0.0
    for fmt, payload, received, finished in rows:
        server = max(server, (finished - received).total_seconds())
        for key in payload_keys(fmt, payload):
            if key not in stored_at or finished < stored_at[key]:
                stored_at[key] = finished
    end_to_end = max(
        (
            (stored_at[key] - at).total_seconds()
            for key, at in written_at.items()
            if key in stored_at
        ),
        default=0.0,
    )
    return end_to_end, server


def web_statuses(deployment: Deployment) -> Counter:
    statuses: Counter = Counter()
    for process in deployment.processes:
        if "-web-" in process.name:
            statuses.update(int(s) for s in HTTP_STATUS.findall(process.log_text()))
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=100, help="readings a second")
    parser.add_argument("--min-gap", type=float, default=15, help="seconds between faults")
    parser.add_argument("--max-gap", type=float, default=40)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)
    duration_s = args.minutes * 60
    # Enough readings for the run at the rate, and some to spare.
    readings = drill_readings(intervals=int(duration_s * args.rate / 8 * 1.2) + 8)

    stack = Stack(Path(tempfile.mkdtemp(prefix="shoene-chaos-")))
    print(
        f"chaos run: {args.minutes:g} min at {args.rate:g} readings/s, seed {seed}; "
        f"private PostgreSQL :{stack.postgres.port}, Redis :{stack.redis.port}; "
        f"logs in {stack.log_dir}",
        flush=True,
    )
    deployment = None
    try:
        stack.start()
        deployment = stack.deployment("chaos", **SWEEPER)
        deployment.start_web()
        deployment.start_beat()
        faults = Faults(deployment, stack, rng)

        meter_csv = stack.log_dir / "meter.csv"
        meter_csv.write_text("meter,ts,value\n")
        buffer_path = stack.log_dir / "gateway.sqlite3"
        gateway = AppProcess(
            f"{deployment.database}-gateway",
            [sys.executable, "-m", "gateway", "run"],
            gateway_env(
                deployment,
                source_csv=meter_csv,
                buffer_path=buffer_path,
                batch_max_readings=400,
                batch_max_wait_s=1,
                request_timeout_s=10,
                backoff_cap_s=3,
                status_every_s=10,
            ),
            stack.log_dir,
        )
        deployment.processes.append(gateway)

        meter = Meter(meter_csv, readings, args.rate)
        meter.start()
        print("faults:", flush=True)
        end = time.monotonic() + duration_s
        while True:
            gap = rng.uniform(args.min_gap, args.max_gap)
            if time.monotonic() + gap > end:
                time.sleep(max(0.0, end - time.monotonic()))
                break
            time.sleep(gap)
            faults.inject(rng.choice(FAULTS))
            if meter.error or not gateway.running:
                break
        meter.stop.set()
        meter.join()
        if meter.error:
            raise SystemExit(f"chaos run: the meter failed: {meter.error}")
        if not gateway.running:
            raise SystemExit(f"chaos run: the gateway exited:\n{gateway.log_tail()}")
        sent = list(meter.written)
        print(f"meter stopped after {len(sent)} readings; draining the gateway", flush=True)

        def drained() -> bool:
            status = gateway_status(buffer_path)
            return status["confirmed_total"] >= len(sent) and status["buffered"] == 0

        wait_until(drained, timeout_s=600, what="the gateway delivering every reading")
        settled = wait_until_batches_settle(deployment, timeout_s=600)
        buffer = gateway_status(buffer_path)
        result = outcome(deployment, sent=sent, accepted=sent)
        end_to_end, server = longest_waits(deployment, meter.written_at)
        statuses = web_statuses(deployment)
        kinds = Counter(fault for _, fault, _ in faults.log)

        print(result.report("chaos"))
        print(
            f"faults {len(faults.log)} ({dict(kinds)}); batches {settled}; gateway confirmed "
            f"{buffer['confirmed_total']}, refused {buffer['refused_total']}, dropped "
            f"{buffer['dropped_total']}; web answers {dict(sorted(statuses.items()))}"
        )
        print(
            f"longest wait: {end_to_end:.1f} s from the meter writing a reading to its batch "
            f"done; {server:.1f} s from a batch received to done"
        )
        summary = {
            "seed": seed,
            "minutes": args.minutes,
            "rate": args.rate,
            "faults": faults.log,
            "sent": result.sent,
            "accepted": buffer["confirmed_total"],
            "stored": result.stored,
            "lost": result.lost,
            "wrong_value": result.wrong_value,
            "duplicated": result.duplicates,
            "rollup_mismatches": result.rollup_mismatches,
            "batches": settled,
            "web_statuses": dict(statuses),
            "longest_wait_end_to_end_s": round(end_to_end, 1),
            "longest_wait_server_s": round(server, 1),
        }
        (stack.log_dir / "chaos.json").write_text(json.dumps(summary, indent=2, default=str))
        print(f"summary: {stack.log_dir / 'chaos.json'}")
    finally:
        if deployment is not None:
            deployment.stop_all()
        stack.destroy()

    server_errors = {s: n for s, n in statuses.items() if s >= 500 and s != 503}
    problems = {
        "lost": result.lost,
        "wrong value": result.wrong_value,
        "duplicated": result.duplicates,
        "rollup days wrong": result.rollup_mismatches,
        "failed batches": settled.get("failed", 0),
        "refused or dropped by the gateway": buffer["refused_total"] + buffer["dropped_total"],
        "5xx other than 503": sum(server_errors.values()),
    }
    if any(problems.values()):
        sys.exit(f"chaos run FAILED: { {k: v for k, v in problems.items() if v} }")
    print("chaos run passed: every reading stored exactly once, rollups match, no 500")


if __name__ == "__main__":
    main()
