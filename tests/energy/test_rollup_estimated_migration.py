"""Existing daily rollups get their count of estimated intervals when the column arrives."""

from datetime import UTC, date, datetime, timedelta

import pytest

from energy.models import DailyUsage, Reading
from tests import factories
from tests.migrations import migrate, migrate_to_latest


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_each_days_estimated_readings_in_its_local_day():
    # Made with today's models, before the columns of later migrations are rolled back.
    meter = factories.MeterFactory(serial="E-MIG")  # Sapporo: Asia/Tokyo
    old = migrate([("energy", "0019_reading_source_time")])
    tokyo_midnight = datetime(2026, 1, 1, 15, tzinfo=UTC)  # 2026-01-02 00:00 local
    # 23:00 and 23:30 on 1 January (estimated, measured), 00:00-01:30 on 2 January (3 of 4
    # estimated).
    qualities = ["estimated", "measured", "estimated", "estimated", "measured", "estimated"]
    Reading.objects.bulk_create(
        Reading(
            meter=meter, ts=tokyo_midnight + timedelta(minutes=30 * (n - 2)), value=1.0, quality=q
        )
        for n, q in enumerate(qualities)
    )
    OldDailyUsage = old.get_model("energy", "DailyUsage")
    for day, intervals in ((date(2026, 1, 1), 2), (date(2026, 1, 2), 4), (date(2026, 1, 3), 1)):
        OldDailyUsage.objects.create(
            meter_id=meter.pk,
            date=day,
            total=float(intervals),
            baseload=1.0,
            peak=1.0,
            peak_at=tokyo_midnight,
            night_total=0.0,
            intervals=intervals,
        )

    migrate_to_latest()

    counts = dict(DailyUsage.objects.filter(meter=meter).values_list("date", "estimated_intervals"))
    assert counts == {date(2026, 1, 1): 1, date(2026, 1, 2): 3, date(2026, 1, 3): 0}
