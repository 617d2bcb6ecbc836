"""Recommendations for every premise: 10,000 premises × 2 meters × a year of DailyUsage.

Recreates the database named by --database, migrates it, writes regions, weather, owners,
premises, meters and DailyUsage directly with PostgreSQL COPY (not through ingest: this
measures the savings engine, not ingest), then times ``recommendations_generate`` over all
premises in-process and prints premises/s and the total seconds.

    make bench-recommendations
    .venv/bin/python bench/recommendations.py --premises 10000 --days 400

Not part of the test run; a figure for docs/benchmarks.md.
"""

import argparse
import io
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGIONS = {  # name: (annual mean °C, half the annual swing °C), roughly JMA normals
    "Sapporo": (9.2, 12.8),
    "Asahikawa": (7.0, 14.3),
    "Hakodate": (9.4, 12.2),
}
DWELLINGS = ["detached", "apartment", "terraced", "shop"]
CHUNK_PREMISES = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--premises", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=400, help="days of DailyUsage per meter")
    parser.add_argument(
        "--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL (no database)"
    )
    parser.add_argument("--database", default="shoene_bench_recommendations")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    database_url = f"{args.pg}/{args.database}"
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",  # local-memory cache, in-process tasks: nothing else is measured
        "DJANGO_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    today = datetime.now(UTC).date()
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        premise_ids = _populate(conn, args.premises, args.days, today, args.seed)
        conn.execute("ANALYZE")
    print(f"data written in {time.perf_counter() - started:.1f} s")

    import django

    django.setup()
    from datetime import timedelta

    from django.db.models import F

    from energy.demo import tariffs_seed
    from energy.models import Premise
    from energy.savings.generate import recommendations_generate

    # The demo's Hokkaido-like tariffs and emission factors, so every figure is priced: a
    # third of the premises on the time-of-use plan (as in the demo), the rest on tiers.
    tariffs = tariffs_seed(start=today - timedelta(days=args.days), end=today)
    Premise.objects.update(electricity_tariff=tariffs.standard, gas_tariff=tariffs.gas)
    Premise.objects.annotate(third=F("pk") % 3).filter(third=0).update(
        electricity_tariff=tariffs.time_of_use
    )

    started = time.perf_counter()
    summary = recommendations_generate(premise_ids=premise_ids, today=today)
    seconds = time.perf_counter() - started
    print(
        f"{summary.premises:,} premises, {summary.meters:,} meters: "
        f"{summary.created:,} recommendations created, {summary.updated:,} updated"
    )
    print(
        f"recommendations_generate: {seconds:.1f} s, {summary.premises / seconds:,.0f} premises/s"
    )

    started = time.perf_counter()
    summary = recommendations_generate(premise_ids=premise_ids, today=today)
    seconds = time.perf_counter() - started
    print(
        f"second run (updates, statuses kept): {seconds:.1f} s, "
        f"{summary.premises / seconds:,.0f} premises/s"
    )


def _copy(conn, table: str, columns: list[str], text: str) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(text)


def _populate(conn, n_premises: int, n_days: int, today: date, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    days = [today - timedelta(days=n_days - i) for i in range(n_days)]
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    now = datetime.now(UTC).isoformat()

    region_ids, temps = [], {}
    for name, (mean_c, swing_c) in REGIONS.items():
        region_id = conn.execute(
            "INSERT INTO energy_region (name, time_zone) VALUES (%s, 'Asia/Tokyo') RETURNING id",
            [name],
        ).fetchone()[0]
        region_ids.append(region_id)
        series = mean_c - swing_c * np.cos(2 * np.pi * (doy - 20) / 365.25)
        temps[region_id] = series + rng.normal(0, 2.0, n_days)
        _copy(
            conn,
            "energy_weatherobservation",
            ["region_id", "date", "temperature_mean_c"],
            "".join(
                f"{region_id}\t{d}\t{t:.1f}\n" for d, t in zip(days, temps[region_id], strict=True)
            ),
        )

    owners = 100
    _copy(
        conn,
        "auth_user",
        [
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        "".join(f"!\tf\tbench{i}\t\t\t\tf\tt\t{now}\n" for i in range(owners)),
    )
    first_user = conn.execute("SELECT min(id) FROM auth_user").fetchone()[0]

    region_of = rng.choice(region_ids, n_premises)
    dwelling = rng.choice(DWELLINGS, n_premises, p=[0.45, 0.35, 0.12, 0.08])
    size = rng.integers(1, 6, n_premises)
    area = rng.uniform(40, 150, n_premises)
    _copy(
        conn,
        "energy_premise",
        [
            "owner_id",
            "region_id",
            "name",
            "address",
            "dwelling_type",
            "floor_area_m2",
            "household_size",
            "created_at",
        ],
        "".join(
            f"{first_user + i % owners}\t{region_of[i]}\tBench {i}\t\t{dwelling[i]}\t"
            f"{area[i]:.1f}\t{size[i]}\t{now}\n"
            for i in range(n_premises)
        ),
    )
    premise_ids = [
        row[0] for row in conn.execute("SELECT id FROM energy_premise ORDER BY id").fetchall()
    ]
    _copy(
        conn,
        "energy_meter",
        ["premise_id", "serial", "commodity", "unit", "interval_minutes"],
        "".join(
            f"{pid}\tE-{pid:07d}\telectricity\tkWh\t30\n{pid}\tG-{pid:07d}\tgas\tm3\t60\n"
            for pid in premise_ids
        ),
    )
    meters = dict(
        ((pid, commodity), mid)
        for mid, pid, commodity in conn.execute(
            "SELECT id, premise_id, commodity FROM energy_meter"
        ).fetchall()
    )

    standby = rng.uniform(0.03, 0.15, n_premises) * 48  # kWh per day
    activity = 2.2 + 1.4 * size * rng.uniform(0.8, 1.2, n_premises)
    electric_per_hdd = np.where(rng.random(n_premises) < 0.25, area * 0.013, 0.05)
    gas_per_hdd = area * rng.uniform(0.002, 0.0045, n_premises)
    hot_water = 0.25 + 0.3 * size
    date_text = [d.isoformat() for d in days]
    peak_at = [f"{d.isoformat()} 09:00:00+00" for d in days]
    for chunk in tqdm(range(0, n_premises, CHUNK_PREMISES), desc="DailyUsage COPY", unit="chunk"):
        rows = io.StringIO()
        for i in range(chunk, min(chunk + CHUNK_PREMISES, n_premises)):
            hdd = np.clip(16.0 - temps[region_of[i]], 0, None)
            noise = rng.lognormal(-0.005, 0.1, (2, n_days))
            electricity = (standby[i] + activity[i] + electric_per_hdd[i] * hdd) * noise[0]
            gas = (hot_water[i] + gas_per_hdd[i] * hdd) * noise[1]
            for commodity, values, intervals, base in (
                ("electricity", electricity, 48, standby[i] / 48),
                ("gas", gas, 24, None),
            ):
                meter_id = meters[(premise_ids[i], commodity)]
                for d in range(n_days):
                    value = values[d]
                    low = base if base is not None else value / 48
                    rows.write(
                        f"{meter_id}\t{date_text[d]}\t{value:.3f}\t{low:.4f}\t{value / 8:.3f}\t"
                        f"{peak_at[d]}\t{low * 8:.3f}\t{intervals}\t{now}\n"
                    )
        _copy(
            conn,
            "energy_dailyusage",
            [
                "meter_id",
                "date",
                "total",
                "baseload",
                "peak",
                "peak_at",
                "night_total",
                "intervals",
                "computed_at",
            ],
            rows.getvalue(),
        )
    conn.commit()
    return premise_ids


if __name__ == "__main__":
    main()
