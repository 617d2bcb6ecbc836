"""Archive a month of 1,000 meters' half-hourly readings to Parquet and restore it: times, and
whether the rows' checksums before and after are identical.

In its own PostgreSQL database (--database-url; created if missing, migrated on every run), on
every run: the month's partition (November 2025, 30 days: 1,440 readings per meter, 1,440,000
for --meters 1000) is dropped if present and filled again by one COPY, values drawn from a
seeded generator, a fifth of them estimated and a third with a source time. Then it times
``readings_month_archive`` (checksum in SQL, Parquet written row group by row group, fsynced,
read back and checked, partition detached, checked again and dropped) and
``readings_month_restore`` (file's SHA-256, COPY into a new table, checksum in SQL, attach), the
services behind ``manage.py readings_archive`` and ``readings_restore``, and compares the
month's checksum in SQL before archiving and after restoring. Meter ids are 1..--meters with no
meter rows (readings have no database foreign key).

    make bench-archive
    .venv/bin/python bench/archive.py --meters 100

Not part of the test run; figures for docs/benchmarks.md.
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shoene_archive_bench"
MONTH = date(2025, 11, 1)
DAYS = 30
COPY_CHUNK_METERS = 100


def _database_create(url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _month_build(connection, *, meters: int, seed: int) -> tuple[int, float]:
    """The month's partition, empty, then filled by COPY; rows and seconds."""
    from energy.partitions.services import month_partition_name, readings_partition_create

    name = month_partition_name(MONTH)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
    readings_partition_create(month=MONTH)
    rng = np.random.default_rng(seed)
    start = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC)
    stamps = [(start + timedelta(minutes=30 * n)).isoformat() for n in range(DAYS * 48)]
    source_time = (start + timedelta(days=DAYS + 1)).isoformat()
    started = time.perf_counter()
    raw = connection.connection
    with raw.cursor() as cursor:
        for first in range(1, meters + 1, COPY_CHUNK_METERS):
            buffer = io.StringIO()
            for meter in range(first, min(first + COPY_CHUNK_METERS, meters + 1)):
                values = rng.gamma(2.0, 0.25, len(stamps))
                for n, (ts, value) in enumerate(zip(stamps, values.tolist(), strict=True)):
                    quality = "estimated" if n % 5 == 0 else "measured"
                    source = source_time if n % 3 == 0 else "\\N"
                    buffer.write(f"{meter}\t{ts}\t{value!r}\t{quality}\t{source}\n")
            with cursor.copy(
                f"COPY {name} (meter_id, ts, value, quality, source_time) FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {name}")
        cursor.execute(f"SELECT count(*) FROM {name}")
        (rows,) = cursor.fetchone()
    return rows, time.perf_counter() - started


def _checksum(connection):
    from energy.partitions.archive import table_rows_checksum
    from energy.partitions.services import month_partition_name

    with connection.cursor() as cursor:
        return table_rows_checksum(cursor, month_partition_name(MONTH))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_ARCHIVE_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (created if missing). Env: BENCH_ARCHIVE_DATABASE_URL",
    )
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="default: a temporary directory")
    args = parser.parse_args()

    _database_create(args.database_url)
    env = {
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    import django

    django.setup()
    from django.db import connection

    from energy.partitions.archive import readings_month_archive, readings_month_restore

    directory = args.dir or Path(tempfile.mkdtemp(prefix="shoene-archive-bench-"))
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    try:
        rows, build_s = _month_build(connection, meters=args.meters, seed=args.seed)
        print(
            f"Built {MONTH:%Y-%m}: {rows:,} readings of {args.meters:,} meters by COPY in "
            f"{build_s:.1f} s"
        )
        started = time.perf_counter()
        before = _checksum(connection)
        checksum_s = time.perf_counter() - started

        started = time.perf_counter()
        entry = readings_month_archive(month=MONTH, directory=directory)
        archive_s = time.perf_counter() - started
        size_mb = (directory / entry.file).stat().st_size / 1e6

        started = time.perf_counter()
        readings_month_restore(month=MONTH, directory=directory)
        restore_s = time.perf_counter() - started
        after = _checksum(connection)
    finally:
        if args.dir is None:
            shutil.rmtree(directory, ignore_errors=True)

    identical = before == after and before.checksum == entry.rows_checksum
    print(
        f"Checksum of the month in SQL: {checksum_s:.2f} s ({before.rows:,} rows, "
        f"{before.checksum})"
    )
    print(
        f"Archive: {archive_s:.1f} s ({rows / archive_s:,.0f} readings/s), "
        f"{entry.file} {size_mb:.1f} MB ({size_mb * 1e6 / rows:.1f} bytes/reading)"
    )
    print(f"Restore: {restore_s:.1f} s ({rows / restore_s:,.0f} readings/s)")
    print(f"Rows after restore: {after.rows:,}, checksum {after.checksum}")
    print(f"Checksums identical: {'yes' if identical else 'NO'}")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
