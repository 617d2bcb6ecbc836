"""A complete day: Meter.intervals_per_day in Python and DailyUsage.objects.complete() in SQL."""

from datetime import UTC, date, datetime, timedelta

import pytest

from energy.apikeys.models import ApiScope
from energy.models import DailyUsage, IntervalsPerDay, intervals_per_day
from tests import factories

# No DST, DST in spring and autumn (north and south), a 30-minute DST change, a +05:45 offset.
ZONES = [
    "Asia/Tokyo",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
]


def meter_in(time_zone: str, serial: str, **fields):
    region = factories.RegionFactory(name=time_zone, time_zone=time_zone)
    return factories.MeterFactory(serial=serial, premise__region=region, **fields)


def day_row(meter, day: date, intervals: int) -> DailyUsage:
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return DailyUsage(
        meter=meter,
        date=day,
        total=float(intervals),
        baseload=1,
        peak=1,
        peak_at=at,
        night_total=0,
        intervals=intervals,
    )


def test_a_plain_day_has_1440_minutes_of_intervals_and_a_dst_day_one_hour_less_or_more():
    assert intervals_per_day(interval_minutes=30) == 48
    assert intervals_per_day(interval_minutes=15) == 96
    new_york = {"interval_minutes": 30, "time_zone": "America/New_York"}
    assert intervals_per_day(day=date(2026, 3, 8), **new_york) == 46
    assert intervals_per_day(day=date(2026, 3, 9), **new_york) == 48
    assert intervals_per_day(day=date(2026, 11, 1), **new_york) == 50


@pytest.mark.django_db
def test_a_meter_counts_its_day_by_its_premise_region_clock():
    tokyo, new_york = meter_in("Asia/Tokyo", "E-TYO"), meter_in("America/New_York", "E-NYC")

    assert tokyo.intervals_per_day(date(2026, 3, 8)) == 48
    assert new_york.intervals_per_day(date(2026, 3, 8)) == 46
    assert new_york.intervals_per_day(date(2026, 11, 1)) == 50
    assert new_york.intervals_per_day() == 48  # a plain 24 hours


@pytest.mark.django_db
def test_sql_counts_every_day_of_a_year_as_python_does():
    meters = {zone: meter_in(zone, f"E-{n}") for n, zone in enumerate(ZONES)}
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    DailyUsage.objects.bulk_create(
        day_row(meter, day, 1) for meter in meters.values() for day in days
    )

    rows = DailyUsage.objects.annotate(
        expected=IntervalsPerDay(
            "date", "meter__premise__region__time_zone", "meter__interval_minutes"
        )
    ).values_list("meter__premise__region__time_zone", "date", "expected")

    assert {(zone, day): expected for zone, day, expected in rows} == {
        (zone, day): meters[zone].intervals_per_day(day) for zone in ZONES for day in days
    }


@pytest.mark.django_db
def test_complete_days_are_those_with_every_interval_of_their_local_day():
    tokyo, new_york = meter_in("Asia/Tokyo", "E-TYO"), meter_in("America/New_York", "E-NYC")
    spring, autumn, plain = date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 9)
    DailyUsage.objects.bulk_create(
        [
            day_row(tokyo, spring, 48),
            day_row(tokyo, plain, 47),
            day_row(new_york, spring, 46),  # 23 hours: complete
            day_row(new_york, autumn, 48),  # 25 hours: two missing
            day_row(new_york, plain, 48),
        ]
    )

    complete = DailyUsage.objects.complete().values_list("meter__serial", "date")
    incomplete = DailyUsage.objects.incomplete().values_list("meter__serial", "date")

    assert set(complete) == {("E-TYO", spring), ("E-NYC", spring), ("E-NYC", plain)}
    assert set(incomplete) == {("E-TYO", plain), ("E-NYC", autumn)}


@pytest.mark.django_db
def test_the_daily_usage_api_filters_complete_days_on_the_region_clock(api_client_for):
    new_york = meter_in("America/New_York", "E-NYC")
    spring, autumn = date(2026, 3, 8), date(2026, 11, 1)
    DailyUsage.objects.bulk_create([day_row(new_york, spring, 46), day_row(new_york, autumn, 48)])
    client = api_client_for(ApiScope.EXPORT)

    complete = client.get("/api/v1/daily-usage/?complete=true").json()["results"]
    incomplete = client.get("/api/v1/daily-usage/?complete=false").json()["results"]

    assert [row["date"] for row in complete] == ["2026-03-08"]
    assert [row["date"] for row in incomplete] == ["2026-11-01"]
