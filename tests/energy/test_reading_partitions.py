"""Monthly partitions of readings made ahead, the default partition emptied into them, and the
metric and check that watch it (PostgreSQL)."""

from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from energy.models import Reading
from energy.partitions.checks import partition_messages
from energy.partitions.metrics import READINGS_PARTITIONS
from energy.partitions.services import (
    month_add,
    readings_default_rows,
    readings_partition_months,
    readings_partitions_ensure,
)
from energy.tasks import readings_partitions_ensure as readings_partitions_ensure_task
from tests import factories

pytestmark = pytest.mark.usefixtures("postgresql")


def _partition_of(meter_id: int, ts: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM energy_reading WHERE meter_id = %s AND ts = %s",
            [meter_id, ts],
        )
        return cursor.fetchone()[0]


def _drop_partition(month: date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS energy_reading_p{month:%Y_%m}")


def _samples() -> dict[str, float]:
    return {
        sample.name: sample.value
        for metric in READINGS_PARTITIONS.collect()
        for sample in metric.samples
    }


def test_a_back_filled_month_lands_in_the_default_partition_and_ensure_moves_it_out(db):
    meter = factories.MeterFactory()
    old = datetime(1987, 3, 31, 23, 30, tzinfo=UTC)
    _drop_partition(date(1987, 3, 1))
    Reading.objects.create(meter=meter, ts=old, value=1.5, quality="estimated")
    assert _partition_of(meter.pk, old) == "energy_reading_default"
    assert readings_default_rows() == 1
    assert _samples()["shoene_readings_default_partition_rows"] == 1
    assert any(m.id == "energy.W001" for m in partition_messages())

    result = readings_partitions_ensure()

    assert result.created == [date(1987, 3, 1)] and result.rows_moved == 1
    assert _partition_of(meter.pk, old) == "energy_reading_p1987_03"
    assert Reading.objects.get(meter=meter, ts=old).value == 1.5
    assert readings_default_rows() == 0
    assert _samples()["shoene_readings_default_partition_rows"] == 0
    assert not [m for m in partition_messages() if m.id == "energy.W001"]
    assert readings_partitions_ensure().created == []
    # The new partition has the key: a second reading of the meter at that time is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Reading.objects.create(meter=meter, ts=old, value=2.0)


def test_ensure_makes_the_months_ahead_and_only_those_with_data(db):
    today = date(2031, 5, 17)
    before = set(readings_partition_months())

    result = readings_partitions_ensure(months_ahead=2, today=today)

    assert result.created == [date(2031, 5, 1), date(2031, 6, 1), date(2031, 7, 1)]
    assert set(readings_partition_months()) - before == set(result.created)
    assert partition_messages(today=today) == []
    assert _samples()  # read at the current date: the default window exists after migrate


def test_a_missing_next_month_is_warned_about_and_measured(db):
    this_month = datetime.now(UTC).date().replace(day=1)
    next_month = month_add(this_month, 1)
    _drop_partition(next_month)

    assert [m.id for m in partition_messages()] == ["energy.W002"]
    assert _samples()["shoene_readings_partitions_months_ahead"] == 0

    readings_partitions_ensure_task.apply().get()

    assert partition_messages() == []
    assert (
        _samples()["shoene_readings_partitions_months_ahead"]
        >= settings.READINGS_PARTITIONS_AHEAD_MONTHS
    )


def test_the_beat_schedule_runs_ensure_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["readings-partitions-ensure"]
    assert entry["task"] == "energy.tasks.readings_partitions_ensure"
    assert entry["schedule"].hour == {1}


def test_seed_demo_writes_no_history_into_the_default_partition(db):
    call_command("seed_demo", premises=1, days=70, seed=3, verbosity=0)

    assert Reading.objects.exists()
    assert readings_default_rows() == 0
