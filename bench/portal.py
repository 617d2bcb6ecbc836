"""Customer portal pages on a production-sized data set: server time per page, p50 and p95.

Builds once, then reuses, the PostgreSQL database named by --database-url (created if missing,
migrated on every run): 1,000 premises in the demo's three regions, each with its own owner, an
electricity meter (30 minutes) and a gas meter (hourly) with two years of readings ending
yesterday in Asia/Tokyo (35,040,000 electricity and 17,520,000 gas readings). Readings come from
the demo's household model (``energy.demo``) and are COPYed straight into the readings table;
then DailyUsage is built with ``energy.rollups``, the demo's tariffs, emission factors and weather
are added, and ``recommendations_generate`` runs for every premise. Last, the demo's framing
experiment (``experiments_demo_seed``) is set running for the data's last six weeks: customers
visit the portal (each at their own rate), the first visit after the start exposes them to the
variant the real hashing gives, the variants shown kWh or the neighbours first mark more
recommendations done, and the results are computed and stored as the hourly task stores them
(an older build without the experiment gets it added on its next run). The table
``bench_portal_build`` records the build's parameters, step times and counts: a complete build
with the same parameters is reused, ``--rebuild`` drops the database and builds it again.

Then each portal page (and the recommendations API) is requested through Django's test client,
signed in as the premise's owner, with the cache on Redis: a warm-up, then --requests requests
over a fixed random sample of premises. It prints p50, p95 and max server time and the queries
per request. Portal URL names that do not resolve yet are skipped with a note.

    make bench-portal
    .venv/bin/python bench/portal.py --requests 200 --save
    .venv/bin/python bench/portal.py --rebuild --build-only

Not part of the test run; a figure for docs/benchmarks.md.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shoene_portal_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
BUILD_TABLE = "bench_portal_build"
# Gas every hour, as in the demo (and as Japanese city-gas smart meters commonly report).
GAS_INTERVAL_MINUTES = 60
COPY_CHUNK_PREMISES = 50  # one COPY and commit per chunk
# Meters per daily_usage_refresh call: 3,650 meter-days. With 52 M readings PostgreSQL 15 plans
# the rollup as a nested loop over the primary key up to 6,000-8,000 meter-days (0.05 s per
# meter) and above that as a hash join over the whole readings table (4 s per meter).
ROLLUP_CHUNK_METERS = 5
# The experiment: it started this many days before the data's end, customers visit the portal
# from this many days before the start (its PRE_EXPOSURE_DAYS, for CUPED), and each of an
# exposed customer's actionable recommendations is marked done with the variant's probability
# (control first; the demo's variants yen, kWh and neighbours first).
EXPERIMENT_DAYS = 42
EXPERIMENT_PRE_DAYS = 28
EXPERIMENT_DONE_PROBABILITY = (0.10, 0.13, 0.15)
GOAL_P95_MS = 50.0  # the bar: server time per page, p95
# The bar's other half: pages read rollups, not raw readings, except the one-day view.
READINGS_SQL = re.compile(r"\benergy_reading\b")

# PostgreSQL's binary COPY format (docs: "COPY", "Binary Format"): a signature, flags and header
# extension length, then per row a field count and (length, value) per field, big-endian;
# timestamptz is microseconds since 2000-01-01 UTC. numpy writes a meter's rows in one go,
# where formatting 52 M text lines in Python would take longer than PostgreSQL takes to load them.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"
PG_EPOCH_UNIX_S = 946_684_800


@dataclass(frozen=True)
class PremisePlan:
    premise_id: int
    region: str
    electricity_meter_id: int
    gas_meter_id: int
    household: object  # energy.demo.Household


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_PORTAL_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (created if missing; dropped by --rebuild). "
        "Env: BENCH_PORTAL_DATABASE_URL",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_PORTAL_REDIS_URL", DEFAULT_REDIS_URL),
        help="the cache; this Redis database is flushed before measuring",
    )
    parser.add_argument("--premises", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730, help="days of readings per meter")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build it")
    parser.add_argument("--build-only", action="store_true", help="build or check, do not measure")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per page first")
    parser.add_argument("--page", default="", help="only pages whose label contains this")
    parser.add_argument("--save", action="store_true", help="write JSON to bench/results/")
    args = parser.parse_args()

    env = django_env(args.database_url, args.redis_url)
    os.environ.update(env)
    parameters = {
        "premises": args.premises,
        "days": args.days,
        "seed": args.seed,
        "gas_interval_minutes": GAS_INTERVAL_MINUTES,
    }
    build = _database_prepare(args.database_url, rebuild=args.rebuild, parameters=parameters)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    migrate_seconds = time.perf_counter() - started

    import django

    django.setup()
    if build is None:
        build = _build(args.database_url, parameters=parameters, migrate_seconds=migrate_seconds)
    elif "exposures" not in build["counts"]:
        build = _experiment_add(args.database_url, build)
    _data_set_print(args.database_url, build)
    if args.build_only:
        return

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    results = _measure_all(
        build=build,
        requests=args.requests,
        warmup=args.warmup,
        only=args.page,
        seed=args.seed,
    )
    if args.save and results:
        _results_save(build=build, results=results, args=args)


# --- The database ------------------------------------------------------------------------


def django_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment Django runs in against a benchmark's database and Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,  # the cache on Redis, as in production
        "DJANGO_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        # The test client sends Host: testserver.
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def django_setup_against(database_url: str, redis_url: str, **extra: str) -> None:
    """Migrate the benchmark's database, set Django up on it in this process, and empty
    Redis (no cache or flag state left from an earlier run)."""
    env = django_env(database_url, redis_url, **extra)
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    import django
    import redis

    django.setup()
    redis.Redis.from_url(redis_url).flushdb()


def _database_prepare(
    url: str, *, rebuild: bool, parameters: dict, table: str = BUILD_TABLE
) -> dict | None:
    """Create the database if missing; return its complete build record, or None to build it.

    ``table`` holds the build record (bench/export.py keeps its own data set the same way).
    """
    name = conninfo_to_dict(url)["dbname"]
    if not rebuild:
        record = _build_record(url, table=table)
        if record is not None and record["finished_at"] is not None:
            if record["parameters"] != parameters:
                sys.exit(
                    f"{name} was built with {record['parameters']}, not {parameters}: "
                    "pass --rebuild to drop and rebuild it"
                )
            return record
        if record is None and _has_premises(url):
            sys.exit(f"{name} has premises but no {table} record: pass --rebuild to drop it")
        rebuild = record is not None  # an earlier build that did not finish
        if rebuild:
            print(f"{name}: an earlier build did not finish; dropping it")
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        if rebuild:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"{name}: created")
    return None


def _connect_if_exists(url: str):
    try:
        return psycopg.connect(url)
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _build_record(url: str, *, table: str = BUILD_TABLE) -> dict | None:
    conn = _connect_if_exists(url)
    if conn is None:
        return None
    with conn:
        if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
            return None
        row = conn.execute(
            f"SELECT parameters, data_end, started_at, finished_at, step_seconds, counts "
            f"FROM {table}"
        ).fetchone()
    if row is None:
        return None
    keys = ["parameters", "data_end", "started_at", "finished_at", "step_seconds", "counts"]
    return dict(zip(keys, row, strict=True))


def _has_premises(url: str) -> bool:
    conn = _connect_if_exists(url)
    if conn is None:
        return False
    with conn:
        if conn.execute("SELECT to_regclass('energy_premise')").fetchone()[0] is None:
            return False
        return conn.execute("SELECT EXISTS (SELECT 1 FROM energy_premise)").fetchone()[0]


@contextmanager
def _step(name: str, seconds: dict[str, float]):
    started = time.perf_counter()
    yield
    seconds[name] = round(time.perf_counter() - started, 1)
    print(f"  {name}: {seconds[name]:,.1f} s")


def _build(url: str, *, parameters: dict, migrate_seconds: float) -> dict:
    from django.utils import timezone

    from energy.demo import CLIMATE_NORMALS_C, TIME_ZONE, daily_temperatures, tariffs_seed

    end = timezone.localdate() - timedelta(days=1)  # the last complete day in Asia/Tokyo
    days = [end - timedelta(days=parameters["days"] - 1 - i) for i in range(parameters["days"])]
    with psycopg.connect(url) as conn:
        conn.execute(
            f"CREATE TABLE {BUILD_TABLE} (parameters jsonb NOT NULL, data_end date NOT NULL,"
            " started_at timestamptz NOT NULL, finished_at timestamptz,"
            " step_seconds json NOT NULL, counts json NOT NULL)"
        )
        conn.execute(
            f"INSERT INTO {BUILD_TABLE} VALUES (%s, %s, now(), NULL, '{{}}', '{{}}')",
            [json.dumps(parameters), end],
        )
    print(
        f"building: {parameters['premises']:,} premises, {days[0]} to {end} "
        f"({len(days)} days), seed {parameters['seed']}"
    )
    seconds = {"migrate": round(migrate_seconds, 1)}
    rng = np.random.default_rng(parameters["seed"])

    with _step("weather and tariffs", seconds):
        # The demo's weather: climate normals plus AR(1) noise partly shared by the regions.
        shared_noise = _ar1(len(days), rng, phi=0.75, sigma=2.2)
        temperatures = {
            region: daily_temperatures(
                normals=normals, days=days, rng=rng, shared_noise=shared_noise
            )
            for region, normals in CLIMATE_NORMALS_C.items()
        }
        _weather_store(temperatures, days, TIME_ZONE)
        tariffs = tariffs_seed(start=days[0], end=end)

    with _step("customers, premises and meters", seconds):
        plans = _premises_create(parameters["premises"], tariffs, days[0], rng, TIME_ZONE)

    with _step("readings (COPY)", seconds):
        readings = _readings_copy(url, plans, days, temperatures, rng, ZoneInfo(TIME_ZONE))
    print(f"    {readings:,} readings, {readings / seconds['readings (COPY)']:,.0f} readings/s")

    with _step("daily usage (energy.rollups)", seconds):
        _daily_usage_build(plans, days, TIME_ZONE)

    with _step("recommendations", seconds):
        from energy.savings.generate import recommendations_generate

        summary = recommendations_generate(
            premise_ids=[plan.premise_id for plan in plans], today=end + timedelta(days=1)
        )
    print(f"    {summary.created:,} created, {summary.updated:,} updated")

    with _step("experiment", seconds):
        _experiment_create(end=end, seed=parameters["seed"])

    # Sets hint bits and the visibility map, as autovacuum would have on a live system, so the
    # first page views do not pay for writing them.
    with _step("vacuum analyze", seconds), psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    seconds["total"] = round(sum(seconds.values()), 1)
    print(f"  total: {seconds['total']:,.1f} s")
    return _build_finish(url, seconds)


def _build_finish(url: str, seconds: dict[str, float]) -> dict:
    """Record the build's step times and row counts; return the record."""
    with psycopg.connect(url) as conn:
        counts = {
            name: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in (
                ("premises", "energy_premise"),
                ("meters", "energy_meter"),
                ("readings", "energy_reading"),
                ("daily_usage", "energy_dailyusage"),
                ("weather", "energy_weatherobservation"),
                ("recommendations", "energy_recommendation"),
                ("portal_visits", "flags_portalvisit"),
                ("exposures", "flags_exposure"),
                ("experiment_results", "flags_experimentresult"),
            )
        }
        conn.execute(
            f"UPDATE {BUILD_TABLE} SET finished_at = now(), step_seconds = %s, counts = %s",
            [json.dumps(seconds), json.dumps(counts)],
        )
    record = _build_record(url)
    assert record is not None
    return record


def _experiment_add(url: str, build: dict) -> dict:
    """A build from before the experiment step: add the experiment (on the build's data end)."""
    print("adding the experiment to the existing build")
    seconds = dict(build["step_seconds"])
    total = seconds.pop("total", 0.0)
    with _step("experiment", seconds):
        _experiment_create(end=build["data_end"], seed=build["parameters"]["seed"])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) flags_portalvisit, flags_exposure, energy_recommendation")
    seconds["total"] = round(total + seconds["experiment"], 1)
    return _build_finish(url, seconds)


def _experiment_create(*, end: date, seed: int) -> None:
    """The demo's framing experiment, running for the last EXPERIMENT_DAYS days to ``end``.

    Deterministic for a seed: its own random stream (the readings' stays as it was), customers
    in user-id order, variants from the experiment's hashing.
    """
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from energy.models import Premise
    from energy.savings.models import Recommendation, RecommendationStatus
    from flags import evaluation
    from flags.experiments.lifecycle import experiment_start
    from flags.experiments.metrics import ACTION_KINDS
    from flags.experiments.results import experiment_results_compute
    from flags.models import Experiment, Exposure, PortalVisit
    from flags.services import RECOMMENDATION_FRAMING, experiments_demo_seed

    rng = np.random.default_rng([seed, EXPERIMENT_DAYS])
    tz = timezone.get_default_timezone()
    start = end - timedelta(days=EXPERIMENT_DAYS - 1)
    experiments_demo_seed()
    Experiment.objects.filter(key=RECOMMENDATION_FRAMING).update(
        starts_at=datetime.combine(start, clock(), tzinfo=tz)
    )
    experiment = experiment_start(experiment=Experiment.objects.get(key=RECOMMENDATION_FRAMING))
    rule = evaluation.snapshot_load().experiments[RECOMMENDATION_FRAMING]
    variant_position = {v.pk: i for i, v in enumerate(experiment.variants.order_by("position"))}

    customers = sorted(
        get_user_model().objects.filter(premises__isnull=False).values_list("pk", flat=True)
    )
    first_visit_day = start - timedelta(days=EXPERIMENT_PRE_DAYS)
    visit_days = [
        first_visit_day + timedelta(days=i) for i in range((end - first_visit_day).days + 1)
    ]
    # Visits per day: most customers look in now and then, a few nearly every day.
    rates = rng.beta(1.2, 8.0, len(customers))
    visited = rng.random((len(customers), len(visit_days))) < rates[:, None]
    visits, exposures, exposed_at_of = [], [], {}
    for user_id, days_visited in zip(customers, visited, strict=True):
        days = [day for day, yes in zip(visit_days, days_visited, strict=True) if yes]
        visits += [PortalVisit(user_id=user_id, date=day) for day in days]
        exposed_on = next((day for day in days if day >= start), None)
        if exposed_on is None:
            continue
        exposed_at = datetime.combine(
            exposed_on, clock(hour=int(rng.integers(7, 23)), minute=int(rng.integers(60))), tz
        )
        unit = evaluation.Unit.from_context(user_id=user_id)
        result = evaluation.experiment_evaluate(rule, unit, now=exposed_at)
        if result is not None:
            exposures.append(
                Exposure(experiment=experiment, variant_id=result.variant_id, user_id=user_id)
            )
            exposed_at_of[user_id] = exposed_at
    PortalVisit.objects.bulk_create(visits, batch_size=5000)
    Exposure.objects.bulk_create(exposures, batch_size=5000)
    # exposed_at is auto_now_add (bulk_create sets it to now): set the times meant.
    for exposure in exposures:
        exposure.exposed_at = exposed_at_of[exposure.user_id]
    Exposure.objects.bulk_update(exposures, ["exposed_at"], batch_size=1000)

    # Done after exposure with the variant's probability, and some done before the experiment.
    exposure_of = {e.user_id: e for e in exposures}
    owner_of = dict(Premise.objects.values_list("pk", "owner_id"))
    done = []
    actionable = Recommendation.objects.filter(kind__in=ACTION_KINDS, is_current=True)
    for recommendation in actionable.order_by("pk"):
        exposure = exposure_of.get(owner_of[recommendation.premise_id])
        if exposure is None:
            continue
        exposed_on = exposure.exposed_at.astimezone(tz).date()
        if rng.random() < EXPERIMENT_DONE_PROBABILITY[variant_position[exposure.variant_id]]:
            day = exposed_on + timedelta(days=int(rng.integers((end - exposed_on).days + 1)))
        elif rng.random() < 0.05:
            day = start - timedelta(days=int(rng.integers(1, 90)))
        else:
            continue
        recommendation.status = RecommendationStatus.DONE
        recommendation.status_changed_at = datetime.combine(day, clock(hour=20), tz)
        done.append(recommendation)
    # Straight to the rows, as the readings are: the status service would queue savings
    # measurements, which this data set does not need.
    Recommendation.objects.bulk_update(done, ["status", "status_changed_at"], batch_size=1000)
    stored = experiment_results_compute(experiment=experiment)
    print(
        f"    {len(visits):,} portal visits, {len(exposures):,} exposures, "
        f"{len(done):,} recommendations done; results for {stored.data['computed_for']}"
    )


def _ar1(n: int, rng: np.random.Generator, *, phi: float, sigma: float) -> np.ndarray:
    """Weather that persists for days, as ``energy.demo`` makes it."""
    noise = rng.normal(0.0, sigma, n)
    series = np.empty(n)
    previous = 0.0
    for i in range(n):
        previous = phi * previous + noise[i]
        series[i] = previous
    return series


def _weather_store(temperatures: dict[str, np.ndarray], days: list[date], time_zone: str) -> None:
    from energy.demo import REGION_NAMES
    from energy.models import Region, WeatherObservation

    for name, temps in temperatures.items():
        name_ja, name_en = REGION_NAMES.get(name, (name, name))
        region, _ = Region.objects.get_or_create(
            name=name, defaults={"time_zone": time_zone, "name_ja": name_ja, "name_en": name_en}
        )
        WeatherObservation.objects.bulk_create(
            WeatherObservation(region=region, date=day, temperature_mean_c=round(float(t), 1))
            for day, t in zip(days, temps, strict=True)
        )


def _premises_create(count: int, tariffs, first_day: date, rng, time_zone: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from energy.demo import household_draw
    from energy.models import Commodity, Meter, Premise, Region, Unit

    User = get_user_model()
    owners = User.objects.bulk_create(
        User(
            username=f"customer{i:04d}",
            email=f"customer{i:04d}@bench.shoene.local",
            password=make_password(None),
        )
        for i in range(1, count + 1)
    )
    regions = list(Region.objects.filter(time_zone=time_zone).order_by("pk"))
    households = [household_draw(rng) for _ in range(count)]
    premises = Premise.objects.bulk_create(
        Premise(
            owner=owner,
            region=regions[i % len(regions)],
            name=f"Home {i + 1}",
            dwelling_type=household.dwelling_type,
            floor_area_m2=household.floor_area_m2,
            household_size=household.household_size,
            # One in three on the time-of-use tariff, as in the demo.
            electricity_tariff=tariffs.time_of_use if i % 3 == 1 else tariffs.standard,
            gas_tariff=tariffs.gas,
        )
        for i, (owner, household) in enumerate(zip(owners, households, strict=True))
    )
    meters = Meter.objects.bulk_create(
        Meter(
            premise=premise,
            serial=f"{prefix}-{premise.pk:05d}",
            commodity=commodity,
            unit=unit,
            interval_minutes=interval,
            installed_on=first_day,
        )
        for premise in premises
        for prefix, commodity, unit, interval in (
            ("E", Commodity.ELECTRICITY, Unit.KWH, 30),
            ("G", Commodity.GAS, Unit.M3, GAS_INTERVAL_MINUTES),
        )
    )
    return [
        PremisePlan(
            premise_id=premise.pk,
            region=premise.region.name,
            electricity_meter_id=meters[2 * i].pk,
            gas_meter_id=meters[2 * i + 1].pk,
            household=household,
        )
        for i, (premise, household) in enumerate(zip(premises, households, strict=True))
    ]


def _interval_starts(days: list[date], per_day: int, tz: ZoneInfo) -> np.ndarray:
    """Each local day's interval starts, flattened, in PostgreSQL's binary timestamptz."""
    midnights = np.array(
        [int(datetime.combine(day, clock(), tzinfo=tz).timestamp()) for day in days],
        dtype=np.int64,
    )
    starts = midnights[:, None] + np.arange(per_day, dtype=np.int64) * (86_400 // per_day)
    return ((starts - PG_EPOCH_UNIX_S) * 1_000_000).ravel()


def _copy_rows(meter_id: int, starts: np.ndarray, values: np.ndarray, quality: bytes) -> bytes:
    """One meter's readings as binary COPY rows (meter_id, ts, value, quality)."""
    rows = np.empty(
        len(starts),
        dtype=[
            ("fields", ">i2"),
            ("meter_id_length", ">i4"),
            ("meter_id", ">i8"),
            ("ts_length", ">i4"),
            ("ts", ">i8"),
            ("value_length", ">i4"),
            ("value", ">f8"),
            ("quality_length", ">i4"),
            ("quality", f"S{len(quality)}"),
        ],
    )
    rows["fields"] = 4
    rows["meter_id_length"], rows["meter_id"] = 8, meter_id
    rows["ts_length"], rows["ts"] = 8, starts
    rows["value_length"], rows["value"] = 8, values
    rows["quality_length"], rows["quality"] = len(quality), quality
    return rows.tobytes()


def _readings_copy(url, plans, days, temperatures, rng, tz: ZoneInfo) -> int:
    """Generate each meter's readings with the demo's model and COPY them; return the count."""
    from energy.demo import HEATING_BASE_C, electricity_series, gas_series
    from energy.models import Quality, Reading

    weekend = np.array([day.weekday() >= 5 for day in days])
    # Every meter has the same intervals: their timestamps are computed once per length.
    starts = {n: _interval_starts(days, n, tz) for n in (48, 1440 // GAS_INTERVAL_MINUTES)}
    quality = Quality.MEASURED.value.encode()
    statement = (
        f"COPY {Reading._meta.db_table} (meter_id, ts, value, quality) FROM STDIN (FORMAT BINARY)"
    )
    total = 0
    with (
        psycopg.connect(url) as conn,
        tqdm(total=len(plans), desc="readings", unit="premise") as bar,
    ):
        for first in range(0, len(plans), COPY_CHUNK_PREMISES):
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(COPY_SIGNATURE)
                for plan in plans[first : first + COPY_CHUNK_PREMISES]:
                    temps = temperatures[plan.region]
                    hdd = np.clip(HEATING_BASE_C - temps, 0.0, None)
                    electricity = electricity_series(
                        household=plan.household, hdd=hdd, weekend=weekend, rng=rng
                    )
                    gas = gas_series(
                        household=plan.household, hdd=hdd, temperature_c=temps, rng=rng
                    )
                    # Three decimals, as the demo sends them through ingest.
                    for meter_id, values in (
                        (plan.electricity_meter_id, electricity),
                        (plan.gas_meter_id, gas),
                    ):
                        copy.write(
                            _copy_rows(
                                meter_id,
                                starts[values.shape[1]],
                                np.round(values, 3).ravel(),
                                quality,
                            )
                        )
                        total += values.size
                    bar.update()
                copy.write(COPY_TRAILER)
            conn.commit()
        # Statistics before the rollups read the table: without them the planner sorts or
        # hashes the whole table for every rollup statement.
        conn.execute(f"ANALYZE {Reading._meta.db_table}")
        conn.commit()
    return total


def _daily_usage_build(plans: list[PremisePlan], days: list[date], time_zone: str) -> None:
    from django.db import transaction

    from energy.rollups import daily_usage_refresh

    meter_ids = [m for plan in plans for m in (plan.electricity_meter_id, plan.gas_meter_id)]
    all_days = set(days)
    for first in tqdm(
        range(0, len(meter_ids), ROLLUP_CHUNK_METERS),
        desc="daily usage",
        unit="chunk",
    ):
        chunk = meter_ids[first : first + ROLLUP_CHUNK_METERS]
        with transaction.atomic():
            daily_usage_refresh(
                dates_by_meter={meter_id: all_days for meter_id in chunk},
                zones={meter_id: time_zone for meter_id in chunk},
            )


def _data_set_print(url: str, build: dict) -> None:
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(url) as conn:
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name]).fetchone()[0]
    counts = ", ".join(f"{k} {v:,}" for k, v in build["counts"].items())
    steps = ", ".join(f"{k} {v:,.1f} s" for k, v in build["step_seconds"].items())
    print(f"data set {name} ({size}), data to {build['data_end']}: {counts}")
    print(f"built {build['finished_at']:%Y-%m-%d %H:%M}: {steps}")
    yesterday = datetime.now(ZoneInfo("Asia/Tokyo")).date() - timedelta(days=1)
    if build["data_end"] < yesterday:
        print(f"note: the data end {build['data_end']}, before yesterday; --rebuild to move it on")


# --- The measurement --------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One request's customer: a premise, its owner and meters, and a random day of data."""

    premise_id: int
    owner_id: int
    meters: dict[str, int]
    random_day: date


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    kwargs: tuple[str, ...] = ()  # of premise_id, meter_id, period, key
    commodity: str = "electricity"
    period: str = ""
    key: str = ""  # empty: the visit's random day
    measure: str = ""
    premise_query: bool = False  # ?premise=<id>, for the API

    def path(self, visit: Visit) -> str:
        from django.urls import reverse

        values = {
            "premise_id": visit.premise_id,
            "meter_id": visit.meters[self.commodity],
            "period": self.period,
            "key": self.key or visit.random_day.isoformat(),
        }
        path = reverse(self.url_name, kwargs={name: values[name] for name in self.kwargs})
        query = {"measure": self.measure} if self.measure else {}
        if self.premise_query:
            query["premise"] = visit.premise_id
        return f"{path}?{urlencode(query)}" if query else path


def _pages(end: date) -> list[Page]:
    """The portal pages (URL names in the portal's issue) and the API already there."""
    usage_kwargs = ("meter_id", "period", "key")
    pages = [Page("premise home", "dashboards:premise_home", ("premise_id",))]
    for commodity in ("electricity", "gas"):
        for period, key, which in (
            ("day", end.isoformat(), "latest"),
            ("day", "", "random"),
            ("month", f"{end:%Y-%m}", "current"),
            ("year", str(end.year), "current"),
        ):
            for measure in ("", "yen"):
                pages.append(
                    Page(
                        f"usage {commodity} {period} ({which}){' yen' if measure else ''}",
                        "dashboards:usage",
                        usage_kwargs,
                        commodity=commodity,
                        period=period,
                        key=key,
                        measure=measure,
                    )
                )
            if which != "random":
                pages.append(
                    Page(
                        f"usage CSV {commodity} {period} ({which})",
                        "dashboards:usage_csv",
                        usage_kwargs,
                        commodity=commodity,
                        period=period,
                        key=key,
                    )
                )
    pages.append(Page("recommendations", "dashboards:recommendations", ("premise_id",)))
    pages.append(Page("API recommendations", "api:recommendations", premise_query=True))
    return pages


def _visits(build: dict, count: int, seed: int) -> list[Visit]:
    from energy.models import Meter

    meters: dict[int, dict[str, int]] = {}
    owners: dict[int, int] = {}
    for premise_id, owner_id, commodity, meter_id in Meter.objects.values_list(
        "premise_id", "premise__owner_id", "commodity", "pk"
    ):
        meters.setdefault(premise_id, {})[commodity] = meter_id
        owners[premise_id] = owner_id
    rng = random.Random(seed)
    premise_ids = sorted(meters)
    if count <= len(premise_ids):
        sample = rng.sample(premise_ids, count)
    else:
        sample = rng.choices(premise_ids, k=count)
    days = build["parameters"]["days"]
    return [
        Visit(
            premise_id=premise_id,
            owner_id=owners[premise_id],
            meters=meters[premise_id],
            random_day=build["data_end"] - timedelta(days=rng.randrange(days)),
        )
        for premise_id in sample
    ]


def _measure_all(*, build: dict, requests: int, warmup: int, only: str, seed: int) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import NoReverseMatch

    visits = _visits(build, warmup + requests, seed)
    pages = [page for page in _pages(build["data_end"]) if only in page.label]
    runnable, skipped = [], []
    for page in pages:
        try:
            page.path(visits[0])
            runnable.append(page)
        except NoReverseMatch:
            skipped.append(page)
    for name in sorted({page.url_name for page in skipped}):
        print(f"skipped (URL name {name} does not resolve yet)")
    if not runnable:
        return []

    # One signed-in client per premise in the sample (a session each, as real customers).
    users = get_user_model().objects.in_bulk({visit.owner_id for visit in visits})
    clients = {}
    for visit in visits:
        if visit.premise_id not in clients:
            clients[visit.premise_id] = Client()
            clients[visit.premise_id].force_login(users[visit.owner_id])

    print(
        f"{len(runnable)} pages × ({warmup} warm-up + {requests} measured) requests, "
        f"over {len(clients)} premises"
    )
    results = [_measure(page, visits[:warmup], visits[warmup:], clients) for page in runnable]
    _table_print(results)
    return results


def _measure(page: Page, warmup: list[Visit], measured: list[Visit], clients) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    example = page.path(measured[0])
    try:
        for visit in warmup:
            clients[visit.premise_id].get(page.path(visit))
        paths = [page.path(visit) for visit in measured]
        milliseconds, queries, raw, sizes, statuses = [], [], [], [], Counter()
        for visit, path in zip(measured, paths, strict=True):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = clients[visit.premise_id].get(path)
                milliseconds.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured.captured_queries))
            raw.append(sum(bool(READINGS_SQL.search(q["sql"])) for q in captured))
            sizes.append(len(response.content))
            statuses[response.status_code] += 1
    except Exception as exc:  # a page that fails is reported, the others still measured
        print(f"{page.label}: {type(exc).__name__}: {exc}")
        return {"page": page.label, "example": example, "error": f"{type(exc).__name__}: {exc}"}
    ms = np.array(milliseconds)
    return {
        "page": page.label,
        "example": example,
        "requests": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "max_ms": round(float(ms.max()), 1),
        "queries_median": int(np.median(queries)),
        "queries_max": max(queries),
        "reading_queries_max": max(raw),
        "kb_median": round(float(np.median(sizes)) / 1024, 1),
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
    }


def _table_print(results: list[dict]) -> None:
    print()
    print(
        f"| page | p50 ms | p95 ms | max ms | queries | reads readings | KB | status "
        f"| p95 ≤ {GOAL_P95_MS:g} ms |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['page']} | | | | | | | {r['error'][:60]} | |")
            continue
        queries = str(r["queries_median"])
        if r["queries_max"] != r["queries_median"]:
            queries += f" (max {r['queries_max']})"
        statuses = ", ".join(f"{code} ×{n}" for code, n in r["statuses"].items())
        ok = "yes" if r["p95_ms"] <= GOAL_P95_MS and set(r["statuses"]) == {"200"} else "**no**"
        print(
            f"| {r['page']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} | "
            f"{queries} | {'yes' if r['reading_queries_max'] else 'no'} | "
            f"{r['kb_median']:.1f} | {statuses} | {ok} |"
        )
    print()


def _results_save(*, build: dict, results: list[dict], args) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC)
    path = ROOT / "bench" / "results" / f"portal-{now:%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(exist_ok=True)
    document = {
        "measured_at": now.isoformat(),
        "commit": commit,
        "database": conninfo_to_dict(args.database_url)["dbname"],
        "data_set": {
            "parameters": build["parameters"],
            "data_end": build["data_end"].isoformat(),
            "counts": build["counts"],
            "build_seconds": build["step_seconds"],
        },
        "requests": args.requests,
        "warmup": args.warmup,
        "goal_p95_ms": GOAL_P95_MS,
        "pages": results,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
