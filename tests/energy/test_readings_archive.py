"""readings_archive writes whole months to Parquet and drops their partitions; readings_restore
brings one back with the same rows, or refuses (PostgreSQL)."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from energy.models import Reading
from energy.partitions.services import readings_partition_months, readings_partitions_ensure
from tests import factories

REPO = Path(__file__).resolve().parents[2]


def _month_rows(start: datetime, end: datetime) -> list[tuple]:
    """Every column, the value as its exact bits (float8send)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT meter_id, ts, float8send(value), quality, source_time FROM energy_reading "
            "WHERE ts >= %s AND ts < %s ORDER BY meter_id, ts",
            [start, end],
        )
        return [(m, ts, bytes(v), q, s) for m, ts, v, q, s in cursor.fetchall()]


JANUARY = (datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 2, 1, tzinfo=UTC))
FEBRUARY = (datetime(2019, 2, 1, tzinfo=UTC), datetime(2019, 3, 1, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _english():
    """The refusals are matched in English (the commands speak Japanese by default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def two_months(postgresql, transactional_db):
    """Three meters' half-hourly readings of January and February 2019, in their partitions:
    odd values (tiny, huge, negative zero, many digits), both qualities, source times or none."""
    meters = [factories.MeterFactory(serial=f"E-ARCH-{n}") for n in range(3)]
    values = [0.1, 1e-300, 1.7976931348623157e308, -0.0, 1 / 3, 123456.789012345678]
    start = datetime(2019, 1, 31, 0, 0, tzinfo=UTC)
    Reading.objects.bulk_create(
        Reading(
            meter=meter,
            ts=start + timedelta(minutes=30 * n),
            value=values[n % len(values)] * (m + 1),
            quality="estimated" if n % 5 == 0 else "measured",
            source_time=None if n % 3 else start + timedelta(days=40, microseconds=n),
        )
        for m, meter in enumerate(meters)
        for n in range(96)  # 31 January and 1 February
    )
    readings_partitions_ensure()
    return meters


def test_a_month_archived_and_restored_gives_back_the_same_rows(two_months, tmp_path):
    january = _month_rows(*JANUARY)
    february = _month_rows(*FEBRUARY)
    assert len(january) == len(february) == 3 * 48

    call_command("readings_archive", "--before", "2019-02", "--dir", str(tmp_path), verbosity=0)

    assert _month_rows(*JANUARY) == []
    assert _month_rows(*FEBRUARY) == february
    assert JANUARY[0].date() not in readings_partition_months()
    entry = json.loads((tmp_path / "manifest.json").read_text())["months"]["2019-01"]
    assert entry["file"] == "readings-2019-01.parquet" and entry["rows"] == 3 * 48
    parquet = pq.read_table(tmp_path / entry["file"])
    assert parquet.column_names == ["meter_id", "ts", "value", "quality", "source_time"]
    keys = list(
        zip(parquet.column("meter_id").to_pylist(), parquet.column("ts").to_pylist(), strict=True)
    )
    assert keys == sorted(keys)

    call_command("readings_restore", "2019-01", "--dir", str(tmp_path), verbosity=0)

    assert _month_rows(*JANUARY) == january
    assert JANUARY[0].date() in readings_partition_months()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tableoid::regclass::text FROM energy_reading "
            "WHERE ts >= %s AND ts < %s",
            list(JANUARY),
        )
        assert cursor.fetchall() == [("energy_reading_p2019_01",)]


def test_a_corrupt_file_or_rows_unlike_the_manifests_are_refused(two_months, tmp_path):
    january = _month_rows(*JANUARY)
    call_command("readings_archive", "--before", "2019-02", "--dir", str(tmp_path), verbosity=0)
    path = tmp_path / "readings-2019-01.parquet"
    good = path.read_bytes()
    path.write_bytes(good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])

    with pytest.raises(CommandError, match="SHA-256"):
        call_command("readings_restore", "2019-01", "--dir", str(tmp_path), verbosity=0)
    assert _month_rows(*JANUARY) == []

    # The file as written, but the manifest's row checksum is not its rows'.
    path.write_bytes(good)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["months"]["2019-01"]["rows_checksum"] = "0" * 32
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="do not match the manifest"):
        call_command("readings_restore", "2019-01", "--dir", str(tmp_path), verbosity=0)
    assert _month_rows(*JANUARY) == []
    assert JANUARY[0].date() not in readings_partition_months()

    path.unlink()
    with pytest.raises(CommandError, match="is missing"):
        call_command("readings_restore", "2019-01", "--dir", str(tmp_path), verbosity=0)
    assert january  # nothing above touched the database


def test_clear_refusals(two_months, tmp_path):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("readings_archive", "--before", "2019-1x", "--dir", str(tmp_path))
    with pytest.raises(CommandError, match="nothing to archive"):
        call_command("readings_archive", "--before", "1900-01", "--dir", str(tmp_path))
    with pytest.raises(CommandError, match="no archive of 2019-02"):
        call_command("readings_restore", "2019-02", "--dir", str(tmp_path))
    call_command("readings_archive", "--before", "2019-02", "--dir", str(tmp_path), verbosity=0)
    call_command("readings_restore", "2019-01", "--dir", str(tmp_path), verbosity=0)
    with pytest.raises(CommandError, match="partition already"):
        call_command("readings_restore", "2019-01", "--dir", str(tmp_path), verbosity=0)


@pytest.mark.parametrize(
    "command", [["readings_archive", "--before", "2024-01"], ["readings_restore", "2024-01"]]
)
def test_on_sqlite_the_commands_say_they_need_postgresql_and_exit_1(command, tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *command, "--dir", str(tmp_path)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "PostgreSQL" in result.stderr
