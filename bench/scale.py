"""Cost that does not grow with history: the same four figures on stores of 0, 50 M and 200 M
readings, each as a ratio to the empty store's.

For each size (``--sizes 0,50M,200M``) a database of its own (``shoene_scale_0``,
``shoene_scale_50m``, ``shoene_scale_200m``) is built once and kept: migrated, then 20,000
premises in three regions (Asia/Tokyo), each with its owner and an electricity meter (30
minutes) on the demo's tariffs, and ``size / 20,000`` half-hours of readings per meter ending at
DATA_END, COPYed in PostgreSQL's binary format into ``energy_reading`` (the parent table when
it is partitioned: rows are routed to the partitions, which are made first if missing); then
their DailyUsage, built in SQL with the rollup's own arithmetic (energy/rollups.py). The first
PROBE_PREMISES premises also have every reading since PROBE_FIRST_DAY in every database, so the
month and page figures read the same rows whatever the size: the "0" store holds only those
(about PROBE_PREMISES × 2,200 readings). The table ``bench_scale_build`` records the build;
a database whose build finished with the same parameters is reused, one that did not finish is
dropped and built again, one with premises but no record is left alone (pass ``--rebuild``),
``--rebuild`` drops and builds (bench/portal.py's ``_database_prepare``, as bench/export.py).
Only databases named ``<--database-prefix>_<size>`` are ever dropped.

Then, in a process of its own per size, against that database:

(a) ingest: --batches CSV batches of --batch-rows readings (200 meters × 50 half-hours after
    DATA_END, a range not stored yet) through ``batch_receive(enqueue=False)`` and
    ``batch_process`` in this process, readings/s from the first receive to the last batch done
    (parse, validate, store and the batch's rollup); the batches' readings are deleted again
    before the next run;
(b) the rollup refresh of one batch's meter-days (``daily_usage_refresh``), ms, p50/p95;
(c) one meter's month of readings, the ORM query of the usage pages and the export
    (``Reading.objects.filter(meter_id=…, ts__gte=…, ts__lt=…)``), ms, p50/p95;
(d) the portal home (``dashboards:premise_home``) through Django's test client signed in as
    the premise's owner, with the clock at DATA_END's morning, ms, p50/p95.

    make bench-scale
    .venv/bin/python bench/scale.py --sizes 0,2M          # a quick check
    .venv/bin/python bench/scale.py --sizes 0,50M,200M --save

Not part of the test run; docs/benchmarks.md ("Cost as the store grows") has the method.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from psycopg import sql
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.portal import (  # noqa: E402 - after the path is set
    COPY_SIGNATURE,
    COPY_TRAILER,
    PG_EPOCH_UNIX_S,
    _build_record,
    _copy_rows,
    _database_prepare,
    django_env,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
DEFAULT_PREFIX = "shoene_scale"
BUILD_TABLE = "bench_scale_build"
TIME_ZONE = "Asia/Tokyo"
REGIONS = ("Sapporo", "Asahikawa", "Hakodate")  # the demo's, all in Asia/Tokyo
METERS = 20_000
INTERVAL_S = 30 * 60
# The stored history ends at local midnight: a fixed instant, so every database (and every
# run) ingests the same fresh range and the pages read the same months.
DATA_END_DAY = date(2026, 11, 16)
# The probe premises: readings from here to DATA_END in every database, so the home page has
# this month so far and last month (and query (c) a whole month) at every size.
PROBE_PREMISES = 100
PROBE_FIRST_DAY = date(2026, 10, 1)
PROBE_MONTH = (date(2026, 10, 1), date(2026, 11, 1))  # query (c): October, whole
COPY_CHUNK_METERS = 200  # one COPY and commit per chunk
ROLLUP_CHUNK_METERS = 500  # one INSERT … SELECT per chunk
INGEST_INTERVALS = 50  # half-hours per meter in an ingest batch (25 hours: two local days)
SEED = 11


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,50M,200M", help="stored readings, e.g. 0,2M,500k")
    parser.add_argument("--pg", default=DEFAULT_PG_URL, help="PostgreSQL server URL (no database)")
    parser.add_argument("--database-prefix", default=DEFAULT_PREFIX)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="flushed before each size")
    parser.add_argument("--meters", type=int, default=METERS)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument(
        "--ingest-rounds", type=int, default=5, help="timed ingest rounds (the median is shown)"
    )
    parser.add_argument("--repeats", type=int, default=100, help="for (b) and (c)")
    parser.add_argument("--page-requests", type=int, default=100, help="for (d)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true", help="drop the sizes' databases first")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--save", action="store_true", help="write JSON to bench/results/")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: this size, in this process
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        _one_size(args)
        return

    labels = [label.strip() for label in args.sizes.split(",") if label.strip()]
    results = []
    for label in labels:
        print(f"\n=== {label} stored readings: {_database_name(args.database_prefix, label)} ===")
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                *_forwarded(sys.argv[1:]),
                "--one",
                label,
                "--result-file",
                out.name,
            ]
            subprocess.run(command, cwd=ROOT, check=True)
            results.append(json.loads(Path(out.name).read_text() or "{}"))
    if args.build_only:
        return
    _table_print(results)
    if args.save:
        _results_save(results, args)


def _forwarded(argv: list[str]) -> list[str]:
    """The parent's arguments minus --sizes, for a child that measures one size."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--sizes":
            skip = True
            continue
        if arg.startswith("--sizes="):
            continue
        out.append(arg)
    return out


def size_parse(label: str) -> int:
    """'0', '2M', '500k', '200000000' -> a count of readings."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgG]?)", label.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {label!r}")
    factor = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def _database_name(prefix: str, label: str) -> str:
    return f"{prefix}_{label.strip().lower().replace('.', '_')}"


def _data_end() -> datetime:
    return datetime.combine(DATA_END_DAY, clock(), tzinfo=ZoneInfo(TIME_ZONE)).astimezone(UTC)


# --- One size, in its own process ---------------------------------------------------------------


def _one_size(args) -> None:
    readings = size_parse(args.one)
    name = _database_name(args.database_prefix, args.one)
    url = f"{args.pg}/{name}"
    parameters = {
        "readings": readings,
        "meters": args.meters,
        "data_end": DATA_END_DAY.isoformat(),
        "probe_premises": PROBE_PREMISES,
        "probe_first_day": PROBE_FIRST_DAY.isoformat(),
        "seed": SEED,
    }
    build = _database_prepare(url, rebuild=args.rebuild, parameters=parameters, table=BUILD_TABLE)
    env = django_env(url, args.redis_url, CELERY_TASK_ALWAYS_EAGER="true")
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    if build is None:
        build = _build(url, parameters)
    counts = ", ".join(f"{k} {v:,}" for k, v in build["counts"].items())
    steps = ", ".join(f"{k} {v:,.1f} s" for k, v in build["step_seconds"].items())
    print(f"{name}: {counts}\n  built in: {steps}")
    if args.build_only:
        Path(args.result_file).write_text(
            json.dumps({"size": args.one, "build": build}, default=str)
        )
        return

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    result = {
        "size": args.one,
        "database": name,
        "stored_readings": build["counts"]["readings"],
        "build_seconds": build["step_seconds"],
        "ingest": _measure_ingest(args),
        "rollup": _measure_rollup(args),
        "month": _measure_month(args),
        "home": _measure_home(args),
    }
    Path(args.result_file).write_text(json.dumps(result, default=str))


# --- The build ------------------------------------------------------------------------------------


def _step(name: str, seconds: dict, started: float) -> None:
    seconds[name] = round(time.perf_counter() - started, 1)
    print(f"  {name}: {seconds[name]:,.1f} s")


def _build(url: str, parameters: dict) -> dict:
    readings, meters = parameters["readings"], parameters["meters"]
    history = -(-readings // meters) if readings else 0  # half-hours per meter, rounded up
    end = _data_end()
    probe_first = datetime.combine(PROBE_FIRST_DAY, clock(), tzinfo=ZoneInfo(TIME_ZONE))
    probe = int((end - probe_first.astimezone(UTC)).total_seconds()) // INTERVAL_S
    with psycopg.connect(url) as conn:
        conn.execute(
            f"CREATE TABLE {BUILD_TABLE} (parameters jsonb NOT NULL, data_end date NOT NULL,"
            " started_at timestamptz NOT NULL, finished_at timestamptz,"
            " step_seconds json NOT NULL, counts json NOT NULL)"
        )
        conn.execute(
            f"INSERT INTO {BUILD_TABLE} VALUES (%s, %s, now(), NULL, '{{}}', '{{}}')",
            [json.dumps(parameters), DATA_END_DAY],
        )
    print(
        f"building: {meters:,} meters × {history:,} half-hours to {end.isoformat()} "
        f"(the {PROBE_PREMISES} probe premises' meters: at least {probe:,})"
    )
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    meter_ids = _customers_create(meters)
    _step("customers, premises, meters, tariffs", seconds, started)

    started = time.perf_counter()
    first = end - timedelta(seconds=INTERVAL_S * max(history, probe))
    last = end + timedelta(seconds=INTERVAL_S * INGEST_INTERVALS)
    partitions = _partitions_ensure(url, first, last)
    if partitions:
        _step(f"partitions ({partitions} months)", seconds, started)

    started = time.perf_counter()
    stored = _readings_copy(url, meter_ids, history=history, probe=probe, end=end)
    _step("readings (COPY)", seconds, started)
    if stored:
        rate = stored / seconds["readings (COPY)"]
        print(f"    {stored:,} readings, {rate:,.0f} readings/s")

    started = time.perf_counter()
    _daily_usage_build(url, meter_ids)
    _step("daily usage (SQL)", seconds, started)

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    _step("vacuum analyze", seconds, started)
    seconds["total"] = round(sum(seconds.values()), 1)
    millions = max(stored, 1) / 1e6
    seconds["per million readings"] = round(seconds["total"] / millions, 1) if stored else 0.0

    with psycopg.connect(url) as conn:
        counts = {
            name: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in (
                ("meters", "energy_meter"),
                ("readings", "energy_reading"),
                ("daily_usage", "energy_dailyusage"),
            )
        }
        counts["readings_in_default_partition"] = _default_partition_rows(conn)
        conn.execute(
            f"UPDATE {BUILD_TABLE} SET finished_at = now(), step_seconds = %s, counts = %s",
            [json.dumps(seconds), json.dumps(counts)],
        )
    record = _build_record(url, table=BUILD_TABLE)
    assert record is not None
    return record


def _customers_create(count: int) -> list[int]:
    """Owners, premises (round the demo's regions, on its tariffs), one meter each, a gateway
    account; returns the meter ids in premise order (the first PROBE_PREMISES are the probes)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from energy.access import METER_GATEWAYS
    from energy.demo import REGION_NAMES, tariffs_seed
    from energy.models import Commodity, Meter, Premise, Region, Unit

    user_model = get_user_model()
    regions = []
    for name in REGIONS:
        name_ja, name_en = REGION_NAMES.get(name, (name, name))
        region, _ = Region.objects.get_or_create(
            name=name, defaults={"time_zone": TIME_ZONE, "name_ja": name_ja, "name_en": name_en}
        )
        regions.append(region)
    tariffs = tariffs_seed(start=date(2025, 1, 1), end=DATA_END_DAY)
    gateway = user_model.objects.create(username="scale-gateway")
    gateway.groups.add(Group.objects.get(name=METER_GATEWAYS))
    # An unusable password ("!" and random text) is cheap to make, unlike a hashed one.
    owners = user_model.objects.bulk_create(
        (user_model(username=f"scale{i:05d}", password="!") for i in range(count)),
        batch_size=5000,
    )
    premises = Premise.objects.bulk_create(
        (
            Premise(
                owner=owner,
                region=regions[i % len(regions)],
                name=f"Home {i + 1}",
                dwelling_type="detached" if i % 2 else "apartment",
                floor_area_m2=60 + i % 60,
                household_size=1 + i % 4,
                electricity_tariff=tariffs.time_of_use if i % 3 == 1 else tariffs.standard,
            )
            for i, owner in enumerate(owners)
        ),
        batch_size=5000,
    )
    meters = Meter.objects.bulk_create(
        (
            Meter(
                premise=premise,
                serial=f"S-{i:06d}",
                commodity=Commodity.ELECTRICITY,
                unit=Unit.KWH,
                interval_minutes=30,
                installed_on=date(2025, 1, 1),
            )
            for i, premise in enumerate(premises)
        ),
        batch_size=5000,
    )
    return [meter.pk for meter in meters]


def _partitions_ensure(url: str, first: datetime, last: datetime) -> int:
    """When ``energy_reading`` is partitioned, a partition for every month the build and the
    ingest write (the partition service's own, else a plain range partition); returns how many
    months were checked, 0 for a plain table."""
    with psycopg.connect(url) as conn:
        kind = conn.execute(
            "SELECT relkind FROM pg_class WHERE oid = 'energy_reading'::regclass"
        ).fetchone()[0]
    if kind != "p":
        return 0
    month = first.astimezone(UTC).date().replace(day=1)
    months = []
    while month <= last.astimezone(UTC).date():
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    try:
        from energy.partitions.services import readings_partition_create
    except ImportError:
        readings_partition_create = None
    for month in months:
        if readings_partition_create is not None:
            readings_partition_create(month=month)
            continue
        following = (month + timedelta(days=32)).replace(day=1)
        with psycopg.connect(url) as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} PARTITION OF energy_reading "
                    "FOR VALUES FROM ({}) TO ({})"
                ).format(
                    sql.Identifier(f"energy_reading_p{month:%Y_%m}"),
                    sql.Literal(datetime.combine(month, clock(), tzinfo=UTC)),
                    sql.Literal(datetime.combine(following, clock(), tzinfo=UTC)),
                )
            )
    return len(months)


def _default_partition_rows(conn) -> int:
    """Readings that fell into a default partition (0 with a plain table)."""
    row = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_partitioned_table p ON p.partrelid = i.inhparent AND p.partdefid = c.oid "
        "WHERE i.inhparent = 'energy_reading'::regclass"
    ).fetchone()
    if row is None:
        return 0
    return conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(row[0]))
    ).fetchone()[0]


def _interval_starts(end: datetime, count: int) -> np.ndarray:
    """The ``count`` half-hour starts before ``end``, oldest first, as binary timestamptz."""
    end_s = int(end.timestamp())
    starts = end_s - INTERVAL_S * np.arange(count, 0, -1, dtype=np.int64)
    return (starts - PG_EPOCH_UNIX_S) * 1_000_000


def _readings_copy(url: str, meter_ids: list[int], *, history: int, probe: int, end) -> int:
    """Each meter's ``history`` half-hours (the probes' at least ``probe``), binary COPY."""
    longest = max(history, probe)
    starts = _interval_starts(end, longest)
    # A daily shape by local hour (evening peak, night base), scaled per meter, with noise.
    local_hour = ((starts // 1_000_000 + PG_EPOCH_UNIX_S + 9 * 3600) % 86_400) / 3600
    shape = 0.15 + 0.35 * np.exp(-(((local_hour - 19) / 3) ** 2)) + 0.1 * (local_hour > 6)
    rng = np.random.default_rng(SEED)
    quality = b"measured"
    statement = "COPY energy_reading (meter_id, ts, value, quality) FROM STDIN (FORMAT BINARY)"
    total_rows = history * len(meter_ids) + max(0, probe - history) * PROBE_PREMISES
    stored = 0
    if total_rows == 0:
        return 0
    with (
        psycopg.connect(url) as conn,
        tqdm(total=total_rows, desc="readings", unit="row", unit_scale=True) as bar,
    ):
        for first in range(0, len(meter_ids), COPY_CHUNK_METERS):
            chunk = meter_ids[first : first + COPY_CHUNK_METERS]
            scales = rng.uniform(0.5, 2.0, len(chunk))
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(COPY_SIGNATURE)
                for n, (meter_id, scale) in enumerate(zip(chunk, scales, strict=True)):
                    count = max(history, probe) if first + n < PROBE_PREMISES else history
                    if count == 0:
                        continue
                    tail = slice(longest - count, longest)
                    noise = rng.gamma(4.0, 0.25, count)
                    values = np.round(shape[tail] * scale * noise, 3)
                    copy.write(_copy_rows(meter_id, starts[tail], values, quality))
                    stored += count
                    bar.update(count)
                copy.write(COPY_TRAILER)
            conn.commit()
        conn.execute("ANALYZE energy_reading")
        conn.commit()
    return stored


# The rollup's arithmetic (energy/rollups.py, _REFRESH_SQL) over every stored day of a range of
# meters at once: one pass over their readings in key order instead of one lookup per day.
_DAILY_USAGE_SQL = """
INSERT INTO energy_dailyusage
    (meter_id, date, total, baseload, peak, peak_at, night_total, intervals,
     estimated_intervals, computed_at)
SELECT r.meter_id, (r.ts AT TIME ZONE %(tz)s)::date,
       sum(r.value), min(r.value), max(r.value),
       (array_agg(r.ts ORDER BY r.value DESC, r.ts))[1],
       coalesce(sum(r.value) FILTER (
           WHERE extract(hour FROM r.ts AT TIME ZONE %(tz)s) BETWEEN %(night_first)s
                                                                 AND %(night_last)s), 0),
       count(*), count(*) FILTER (WHERE r.quality = 'estimated'), now()
FROM energy_reading r
WHERE r.meter_id BETWEEN %(first)s AND %(last)s
GROUP BY 1, 2
"""


def _daily_usage_build(url: str, meter_ids: list[int]) -> None:
    from energy.rollups import NIGHT_FIRST_HOUR, NIGHT_LAST_HOUR

    ordered = sorted(meter_ids)
    with psycopg.connect(url) as conn:
        conn.execute("SET jit = off")
        conn.execute("SET work_mem = '256MB'")
        for first in tqdm(range(0, len(ordered), ROLLUP_CHUNK_METERS), desc="daily usage"):
            chunk = ordered[first : first + ROLLUP_CHUNK_METERS]
            conn.execute(
                _DAILY_USAGE_SQL,
                {
                    "tz": TIME_ZONE,
                    "first": chunk[0],
                    "last": chunk[-1],
                    "night_first": NIGHT_FIRST_HOUR,
                    "night_last": NIGHT_LAST_HOUR,
                },
            )
            conn.commit()


# --- The measurements ------------------------------------------------------------------------


def _percentiles(milliseconds: list[float]) -> dict:
    ms = np.array(milliseconds)
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def _ingest_meters(args) -> list[list[int]]:
    """The meters of each ingest batch: consecutive blocks, past the probe premises."""
    from energy.models import Meter

    per_batch = max(1, args.batch_rows // INGEST_INTERVALS)
    ids = list(Meter.objects.order_by("pk").values_list("pk", flat=True)[PROBE_PREMISES:])
    needed = per_batch * args.batches
    if len(ids) < needed:
        sys.exit(f"{needed:,} meters needed for the ingest batches, {len(ids):,} stored")
    return [ids[i * per_batch : (i + 1) * per_batch] for i in range(args.batches)]


def _ingest_forget(meter_ids: list[int]) -> None:
    """Delete what an earlier run ingested (readings after DATA_END, their days, the batches),
    so every run ingests into a range not stored yet."""
    from django.db import connection, transaction

    from energy.models import DailyUsage, IngestBatch

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM energy_reading WHERE meter_id = ANY(%s) AND ts >= %s",
            [meter_ids, _data_end()],
        )
        deleted = cursor.rowcount
        DailyUsage.objects.filter(meter_id__in=meter_ids, date__gte=DATA_END_DAY).delete()
        IngestBatch.objects.filter(client__username="scale-gateway").delete()
    if deleted:
        # The deleted rows vacuumed away: every round inserts into the same clean key range
        # (VACUUM skips the pages the build left all-visible).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) energy_reading")


def _measure_ingest(args) -> dict:
    from django.contrib.auth import get_user_model

    from energy.ingest.services import batch_process, batch_receive
    from energy.models import BatchStatus, Meter

    blocks = _ingest_meters(args)
    _ingest_forget([m for block in blocks for m in block])
    serials = dict(Meter.objects.values_list("pk", "serial"))
    stamps = [
        (_data_end() + timedelta(seconds=INTERVAL_S * i)).isoformat()
        for i in range(INGEST_INTERVALS)
    ]
    rng = np.random.default_rng(SEED + 1)
    bodies = []
    for block in blocks:
        values = rng.gamma(4.0, 0.08, (len(block), INGEST_INTERVALS))
        lines = ["meter,ts,value\n"]
        for meter_id, row in zip(block, values, strict=True):
            serial = serials[meter_id]
            lines.extend(
                f"{serial},{stamp},{value:.3f}\n" for stamp, value in zip(stamps, row, strict=True)
            )
        bodies.append("".join(lines).encode())
    rows = sum(len(block) for block in blocks) * INGEST_INTERVALS
    gateway = get_user_model().objects.get(username="scale-gateway")
    meter_ids = [m for block in blocks for m in block]

    rounds = []
    # One warm-up round (a worker that has just started reads the indexes from disk), then the
    # timed rounds, each into the same range emptied again.
    for number in range(args.ingest_rounds + 1):
        _ingest_forget(meter_ids)
        started = time.perf_counter()
        batches = []
        label = "warm-up" if number == 0 else f"ingest {number}/{args.ingest_rounds}"
        for body in tqdm(bodies, desc=label, unit="batch"):
            batch, _ = batch_receive(
                client=gateway, body=body, content_type="text/csv", enqueue=False, source="file"
            )
            batches.append(batch_process(batch_id=batch.pk, recommendations_follow=False))
        seconds = time.perf_counter() - started
        accepted = sum(batch.accepted_count for batch in batches)
        not_done = sum(batch.status != BatchStatus.DONE for batch in batches)
        if accepted != rows or not_done:
            print(f"warning: {accepted:,} of {rows:,} readings accepted, {not_done} not done")
        if number:
            rounds.append({"seconds": seconds, "accepted": accepted, "not_done": not_done})
    median = sorted(rounds, key=lambda r: r["seconds"])[len(rounds) // 2]
    return {
        "batches": len(bodies),
        "rows": rows,
        "rounds": len(rounds),
        "seconds": round(median["seconds"], 3),
        "readings_per_s": round(rows / median["seconds"]),
        "readings_per_s_rounds": [round(rows / r["seconds"]) for r in rounds],
        "accepted": median["accepted"],
        "batches_not_done": max(r["not_done"] for r in rounds),
    }


def _measure_rollup(args) -> dict:
    """``daily_usage_refresh`` of one batch's meter-days, the batches taken in turn."""
    from django.db import transaction

    from energy.rollups import daily_usage_refresh

    end = _data_end()
    days = {
        (end + timedelta(seconds=INTERVAL_S * i)).astimezone(ZoneInfo(TIME_ZONE)).date()
        for i in range(INGEST_INTERVALS)
    }
    blocks = _ingest_meters(args)
    milliseconds = []
    for n in tqdm(range(args.warmup + args.repeats), desc="rollup refresh"):
        block = blocks[n % len(blocks)]
        dates_by_meter = {meter_id: days for meter_id in block}
        zones = dict.fromkeys(block, TIME_ZONE)
        started = time.perf_counter()
        with transaction.atomic():
            daily_usage_refresh(dates_by_meter=dates_by_meter, zones=zones)
        if n >= args.warmup:
            milliseconds.append((time.perf_counter() - started) * 1000)
    return {**_percentiles(milliseconds), "meter_days": len(blocks[0]) * len(days)}


def _measure_month(args) -> dict:
    """One probe meter's whole PROBE_MONTH of readings, as the usage pages and export read."""
    from energy.models import Meter, Reading

    tz = ZoneInfo(TIME_ZONE)
    start = datetime.combine(PROBE_MONTH[0], clock(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(PROBE_MONTH[1], clock(), tzinfo=tz).astimezone(UTC)
    probes = list(Meter.objects.order_by("pk").values_list("pk", flat=True)[:PROBE_PREMISES])
    rng = np.random.default_rng(SEED + 2)
    milliseconds, sizes = [], set()
    for n in tqdm(range(args.warmup + args.repeats), desc="one meter's month"):
        meter_id = int(rng.choice(probes))
        started = time.perf_counter()
        rows = list(
            Reading.objects.filter(meter_id=meter_id, ts__gte=start, ts__lt=end)
            .order_by("ts")
            .values_list("ts", "value", "quality")
        )
        if n >= args.warmup:
            milliseconds.append((time.perf_counter() - started) * 1000)
            sizes.add(len(rows))
    return {**_percentiles(milliseconds), "rows": sorted(sizes)}


def _measure_home(args) -> dict:
    """The portal home of probe premises, signed in as their owners, the clock at 08:00 on
    DATA_END's day (this month so far: days 1-15)."""
    from unittest import mock

    from django.test import Client
    from django.urls import reverse

    from energy.models import Premise

    now = datetime.combine(DATA_END_DAY, clock(hour=8), tzinfo=ZoneInfo(TIME_ZONE))
    premises = list(
        Premise.objects.order_by("pk").select_related("owner")[:PROBE_PREMISES].iterator()
    )
    clients = {}
    for premise in premises:
        client = Client()
        client.force_login(premise.owner)
        clients[premise.pk] = client
    rng = np.random.default_rng(SEED + 3)
    milliseconds, statuses = [], {}
    with mock.patch("django.utils.timezone.now", return_value=now.astimezone(UTC)):
        for n in tqdm(range(args.warmup + args.page_requests), desc="portal home"):
            premise = premises[int(rng.integers(len(premises)))]
            path = reverse("dashboards:premise_home", kwargs={"premise_id": premise.pk})
            started = time.perf_counter()
            response = clients[premise.pk].get(path)
            if n >= args.warmup:
                milliseconds.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return {**_percentiles(milliseconds), "statuses": statuses}


# --- The report ------------------------------------------------------------------------------


FIGURES = (
    ("ingest readings/s", lambda r: r["ingest"]["readings_per_s"], "{:,.0f}"),
    ("rollup p50 ms", lambda r: r["rollup"]["p50_ms"], "{:.1f}"),
    ("rollup p95 ms", lambda r: r["rollup"]["p95_ms"], "{:.1f}"),
    ("month p50 ms", lambda r: r["month"]["p50_ms"], "{:.2f}"),
    ("month p95 ms", lambda r: r["month"]["p95_ms"], "{:.2f}"),
    ("home p50 ms", lambda r: r["home"]["p50_ms"], "{:.1f}"),
    ("home p95 ms", lambda r: r["home"]["p95_ms"], "{:.1f}"),
)


def _table_print(results: list[dict]) -> None:
    results = [r for r in results if "ingest" in r]
    if not results:
        return
    base = results[0]
    print(f"\nratios to the {base['size']} store ({base['stored_readings']:,} readings)\n")
    print("| stored readings | " + " | ".join(name for name, _, _ in FIGURES) + " |")
    print("|---|" + "---:|" * len(FIGURES))
    for result in results:
        cells = []
        for _, value_of, fmt in FIGURES:
            value, reference = value_of(result), value_of(base)
            ratio = value / reference if reference else float("nan")
            cells.append(f"{fmt.format(value)} (×{ratio:.2f})")
        print(f"| {result['stored_readings']:,} | " + " | ".join(cells) + " |")
    print()
    for result in results:
        ingest = result["ingest"]
        print(
            f"{result['size']}: ingest {ingest['rows']:,} readings in {ingest['batches']} batches, "
            f"{ingest['seconds']:.2f} s ({ingest['accepted']:,} accepted, "
            f"{ingest['batches_not_done']} not done); home statuses {result['home']['statuses']}; "
            f"month rows {result['month']['rows']}; build {result['build_seconds']}"
        )


def _results_save(results: list[dict], args) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC)
    path = ROOT / "bench" / "results" / f"scale-{now:%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(exist_ok=True)
    document = {"measured_at": now.isoformat(), "commit": commit, "arguments": vars(args)}
    document["sizes"] = results
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
