"""Migration 0023 turns a readings table with data into monthly partitions, every row in its UTC
month's partition; backwards, one plain table with every row."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from energy.models import Reading
from tests import factories
from tests.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.usefixtures("postgresql")

# Month ends and starts in UTC, a Tokyo month start (15:00 UTC the day before), an old back-fill.
STAMPS = [
    datetime(1999, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2024, 1, 31, 23, 30, tzinfo=UTC),
    datetime(2024, 2, 1, 0, 0, tzinfo=UTC),
    datetime(2024, 2, 29, 15, 0, tzinfo=UTC),  # 2024-03-01 00:00 in Tokyo: February in UTC
    datetime(2024, 3, 1, 0, 0, tzinfo=UTC),
    datetime(2025, 6, 15, 12, 0, tzinfo=UTC),
]


def _rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, meter_id, ts, value, quality, source_time "
            "FROM energy_reading ORDER BY meter_id, ts"
        )
        return cursor.fetchall()


def _relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'energy_reading'::regclass")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_every_stored_reading_moves_into_its_months_partition_and_back():
    meters = [factories.MeterFactory(serial=f"E-PART-{n}") for n in range(3)]
    migrate([("energy", "0022_ingestbatch_notes")])
    assert _relkind() == "r"
    source_time = datetime(2025, 7, 1, tzinfo=UTC)
    readings = [
        Reading(
            meter=meter,
            ts=ts + timedelta(minutes=30 * n),
            value=0.1 * (n + 1) + i,
            quality="estimated" if i % 2 else "measured",
            source_time=source_time if n % 2 else None,
        )
        for n, meter in enumerate(meters)
        for i, ts in enumerate(STAMPS)
    ]
    Reading.objects.bulk_create(readings)
    before = [row[1:] for row in _rows()]

    migrate_to_latest()

    assert _relkind() == "p"
    after = _rows()
    assert [row[1:] for row in after] == before
    for partition, _meter, ts, *_ in after:
        assert partition == f"energy_reading_p{ts.astimezone(UTC):%Y_%m}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'energy_reading'::regclass"
        )
        partitions = {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'energy_reading'::regclass AND contype = 'p'"
        )
        assert cursor.fetchone() == ("energy_reading_pkey",)
    this_month = datetime.now(UTC)
    ahead = {f"energy_reading_p{this_month:%Y_%m}"}
    assert "energy_reading_default" in partitions
    assert {f"energy_reading_p{ts:%Y_%m}" for ts in STAMPS} | ahead <= partitions

    migrate([("energy", "0022_ingestbatch_notes")])
    assert _relkind() == "r"
    assert [row[1:] for row in _rows()] == before

    migrate_to_latest()
    assert [row[1:] for row in _rows()] == before
