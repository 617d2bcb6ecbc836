"""DailyUsage as the ingest service leaves it: one row per meter and local day of its region."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from energy.models import DailyUsage
from energy.rollups import daily_usage_refresh
from tests import factories

TOKYO = ZoneInfo("Asia/Tokyo")


def meter_in(time_zone: str, serial: str, **fields):
    region = factories.RegionFactory(name=time_zone, time_zone=time_zone)
    return factories.MeterFactory(serial=serial, premise__region=region, **fields)


@pytest.fixture
def tokyo_meter(db):
    return meter_in("Asia/Tokyo", "E-TYO")


def reading(meter, when: datetime, value: float, quality: str = "measured") -> dict:
    return {"meter": meter.serial, "ts": when.isoformat(), "value": value, "quality": quality}


def local_day(tz: ZoneInfo, day: date, minutes: int = 30) -> list[datetime]:
    """Every interval start of a local day, however long the day is."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    end = (datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)).astimezone(UTC)
    return [
        start + timedelta(minutes=n)
        for n in range(0, int((end - start).total_seconds()) // 60, minutes)
    ]


def usage(meter) -> dict[date, tuple]:
    return {
        row.date: (row.total, row.baseload, row.peak, row.peak_at, row.night_total, row.intervals)
        for row in DailyUsage.objects.filter(meter=meter)
    }


def test_a_reading_at_2330_jst_belongs_to_that_day_and_midnight_to_the_next(ingest, tokyo_meter):
    batch = ingest(
        [
            reading(tokyo_meter, datetime(2026, 1, 15, 14, 30, tzinfo=UTC), 0.5),  # 23:30 JST
            reading(tokyo_meter, datetime(2026, 1, 15, 15, 0, tzinfo=UTC), 0.25),  # 00:00 JST
        ]
    )

    assert batch.status == "done"
    assert usage(tokyo_meter) == {
        date(2026, 1, 15): (0.5, 0.5, 0.5, datetime(2026, 1, 15, 14, 30, tzinfo=UTC), 0.0, 1),
        date(2026, 1, 16): (0.25, 0.25, 0.25, datetime(2026, 1, 15, 15, 0, tzinfo=UTC), 0.0, 1),
    }


def full_day_values() -> list[float]:
    """48 half-hour values of a local day, chosen so every figure of the rollup differs."""
    values = [0.5] * 48
    values[0] = 1.0  # 00:00, before the night
    values[1] = 1.25  # 00:30, before the night
    values[2:10] = [0.125, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.75]  # 01:00-04:30: the night
    values[10] = 1.5  # 05:00, after the night
    values[16] = 2.5  # 08:00: the peak...
    values[38] = 2.5  # ...and 19:00, as large but later
    return values


def test_a_full_day_is_rolled_up(ingest, tokyo_meter):
    day = date(2026, 1, 15)
    values = full_day_values()

    ingest(
        [
            reading(tokyo_meter, when, v)
            for when, v in zip(local_day(TOKYO, day), values, strict=True)
        ]
    )

    row = DailyUsage.objects.get(meter=tokyo_meter, date=day)
    assert row.intervals == 48
    assert row.total == 28.625 == sum(values)
    assert row.baseload == 0.125
    assert row.peak == 2.5
    assert row.peak_at == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)  # 08:00 JST, the earlier
    assert row.night_total == 2.375  # 01:00 up to and including the 04:30 interval
    assert DailyUsage.objects.count() == 1


def test_a_day_with_gaps_counts_only_the_intervals_present(ingest, tokyo_meter):
    ingest(
        [
            reading(tokyo_meter, datetime(2026, 1, 15, 1, 0, tzinfo=TOKYO), 0.5),
            reading(tokyo_meter, datetime(2026, 1, 15, 12, 0, tzinfo=TOKYO), 1.5),
            reading(tokyo_meter, datetime(2026, 1, 15, 23, 30, tzinfo=TOKYO), 1.0),
        ]
    )

    assert usage(tokyo_meter) == {
        date(2026, 1, 15): (3.0, 0.5, 1.5, datetime(2026, 1, 15, 3, 0, tzinfo=UTC), 0.5, 3)
    }


def test_rejected_readings_are_not_rolled_up(ingest, tokyo_meter):
    batch = ingest(
        [
            reading(tokyo_meter, datetime(2026, 1, 15, 9, 0, tzinfo=TOKYO), 0.5),
            reading(tokyo_meter, datetime(2026, 1, 15, 9, 30, tzinfo=TOKYO), -1.0),
            reading(tokyo_meter, datetime(2026, 1, 16, 9, 0, tzinfo=TOKYO), 99.0),
        ]
    )

    assert batch.rejected_count == 2
    assert usage(tokyo_meter) == {
        date(2026, 1, 15): (0.5, 0.5, 0.5, datetime(2026, 1, 15, 0, 0, tzinfo=UTC), 0.0, 1)
    }


def test_delivering_the_same_readings_again_leaves_the_rollup_as_it_was(ingest, tokyo_meter):
    day = date(2026, 1, 15)
    readings = [
        reading(tokyo_meter, when, v)
        for when, v in zip(local_day(TOKYO, day), full_day_values(), strict=True)
    ]
    ingest(readings)
    before = usage(tokyo_meter)

    again = ingest(readings)
    refreshed = daily_usage_refresh(dates_by_meter={tokyo_meter.pk: {day}})

    assert again.duplicate_count == 48
    assert refreshed == 1
    assert usage(tokyo_meter) == before
    assert DailyUsage.objects.filter(meter=tokyo_meter).count() == 1


def test_a_day_without_readings_gets_no_rollup(tokyo_meter):
    written = daily_usage_refresh(dates_by_meter={tokyo_meter.pk: {date(2026, 1, 15)}})

    assert written == 0
    assert not DailyUsage.objects.exists()


def test_corrections_are_reflected_in_the_rollup(ingest, tokyo_meter):
    day = date(2026, 1, 15)
    intervals = local_day(TOKYO, day)
    values = full_day_values()
    ingest([reading(tokyo_meter, when, v) for when, v in zip(intervals, values, strict=True)])

    correction = ingest(
        [
            reading(tokyo_meter, intervals[16], 0.5),  # the 08:00 peak was wrong
            reading(tokyo_meter, intervals[2], 0.5, "estimated"),  # so was the night minimum
        ]
    )

    assert correction.corrected_count == 2
    row = DailyUsage.objects.get(meter=tokyo_meter, date=day)
    assert row.total == 28.625 - 2.0 + 0.375
    assert row.peak == 2.5
    assert row.peak_at == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)  # now 19:00 JST
    assert row.baseload == 0.25
    assert row.night_total == 2.75


def test_a_correction_of_a_single_reading_refreshes_its_own_day(ingest, tokyo_meter):
    midnight = datetime(2026, 1, 16, 0, 0, tzinfo=TOKYO)
    ingest(
        [
            reading(tokyo_meter, midnight - timedelta(minutes=30), 1.0),
            reading(tokyo_meter, midnight, 1.0),
        ]
    )

    ingest([reading(tokyo_meter, midnight, 3.0)])

    assert {day: row[0] for day, row in usage(tokyo_meter).items()} == {
        date(2026, 1, 15): 1.0,
        date(2026, 1, 16): 3.0,
    }


def test_each_meter_uses_its_regions_local_day(ingest, tokyo_meter):
    new_york = meter_in("America/New_York", "E-NYC")
    london = meter_in("Europe/London", "E-LON")
    instants = [datetime(2026, 1, 15, 4, 30, tzinfo=UTC), datetime(2026, 1, 15, 5, 0, tzinfo=UTC)]

    ingest(
        [
            reading(meter, when, 1.0)
            for meter in (tokyo_meter, new_york, london)
            for when in instants
        ]
    )

    # 04:30 and 05:00 UTC: 13:30 and 14:00 in Tokyo, 23:30 and 00:00 in New York.
    assert {day: row[-1] for day, row in usage(tokyo_meter).items()} == {date(2026, 1, 15): 2}
    assert {day: row[-1] for day, row in usage(london).items()} == {date(2026, 1, 15): 2}
    assert {day: row[-1] for day, row in usage(new_york).items()} == {
        date(2026, 1, 14): 1,
        date(2026, 1, 15): 1,
    }


def test_summer_time_moves_the_local_day(ingest):
    london = meter_in("Europe/London", "E-LON")

    ingest(
        [
            reading(london, datetime(2026, 1, 15, 23, 30, tzinfo=UTC), 1.0),  # 23:30 GMT
            reading(london, datetime(2026, 7, 15, 23, 30, tzinfo=UTC), 1.0),  # 00:30 BST
        ]
    )

    assert set(usage(london)) == {date(2026, 1, 15), date(2026, 7, 16)}


@pytest.mark.parametrize(
    ("day", "intervals", "night_intervals"),
    [
        (date(2026, 3, 8), 46, 6),  # clocks go forward at 02:00: no 02:00-02:59
        (date(2026, 11, 1), 50, 10),  # clocks go back at 02:00: 01:00-01:59 twice
        (date(2026, 1, 15), 48, 8),
    ],
)
def test_a_local_day_across_a_clock_change(ingest, day, intervals, night_intervals):
    tz = ZoneInfo("America/New_York")
    meter = meter_in("America/New_York", "E-NYC")

    ingest([reading(meter, when, 1.0) for when in local_day(tz, day)])

    [(on, (total, _, _, peak_at, night_total, count))] = usage(meter).items()
    assert on == day
    assert count == intervals
    assert total == intervals
    assert night_total == night_intervals
    assert peak_at == datetime(day.year, day.month, day.day, tzinfo=tz)


@pytest.mark.parametrize(("time_zone", "minutes"), [("Asia/Kolkata", 30), ("Asia/Kathmandu", 15)])
def test_a_single_reading_at_local_midnight_rolls_up_its_own_day(ingest, time_zone, minutes):
    tz = ZoneInfo(time_zone)
    meter = meter_in(time_zone, "E-IN", interval_minutes=minutes)
    midnight = datetime(2026, 1, 15, tzinfo=tz)

    ingest([reading(meter, midnight, 0.5)])

    assert usage(meter) == {
        date(2026, 1, 15): (0.5, 0.5, 0.5, midnight.astimezone(UTC), 0.0, 1),
    }


def test_night_hours_of_an_hourly_gas_meter(ingest):
    meter = meter_in("Asia/Tokyo", "G-TYO", commodity="gas", unit="m3", interval_minutes=60)

    ingest([reading(meter, when, 1.0) for when in local_day(TOKYO, date(2026, 1, 15), minutes=60)])

    [(total, _, _, _, night_total, count)] = usage(meter).values()
    assert (total, night_total, count) == (24.0, 4.0, 24)


@pytest.mark.parametrize("time_zone", ["Asia/Tokyo", "America/New_York"])
def test_the_portable_rollup_matches_the_postgresql_statement(postgresql, ingest, time_zone):
    tz = ZoneInfo(time_zone)
    meter = meter_in(time_zone, "E-CMP")
    days = [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]  # New York's spring change
    whens = [when for day in days for when in local_day(tz, day)]
    # Varied values with ties for the peak, so the earliest-on-a-tie rule is exercised.
    # Every fifth estimated: both count the day's estimated intervals alike.
    ingest(
        [
            reading(meter, when, float((n * 7) % 11), "estimated" if n % 5 == 0 else "measured")
            for n, when in enumerate(whens)
        ]
    )
    wanted = {meter.pk: set(days)}

    def estimated() -> dict[date, int]:
        return dict(
            DailyUsage.objects.filter(meter=meter).values_list("date", "estimated_intervals")
        )

    daily_usage_refresh(dates_by_meter=wanted, method="sql")
    by_sql, estimated_by_sql = usage(meter), estimated()
    DailyUsage.objects.filter(meter=meter).delete()
    daily_usage_refresh(dates_by_meter=wanted, method="portable")
    portable = usage(meter)

    assert estimated() == estimated_by_sql
    expected = {day: 0 for day in days}
    for n, when in enumerate(whens):
        expected[when.astimezone(tz).date()] += n % 5 == 0
    assert estimated_by_sql == expected

    assert set(portable) == set(by_sql) == set(days)
    for day in days:
        total, baseload, peak, peak_at, night_total, count = portable[day]
        assert (total, baseload, peak, night_total, count) == pytest.approx(
            by_sql[day][:3] + by_sql[day][4:]
        )
        assert peak_at == by_sql[day][3]


def test_a_refresh_split_into_several_statements_rolls_up_every_day(
    postgresql, ingest, monkeypatch
):
    """Large refreshes go in chunks of meter-days (the planner's limit); none is left out."""
    from energy import rollups

    tz = ZoneInfo("Asia/Tokyo")
    meter = meter_in("Asia/Tokyo", "E-CHUNK")
    days = [date(2026, 3, d) for d in range(1, 8)]
    ingest([reading(meter, when, 1.0) for day in days for when in local_day(tz, day)])
    DailyUsage.objects.filter(meter=meter).delete()
    monkeypatch.setattr(rollups, "REFRESH_PAIRS_PER_STATEMENT", 3)

    written = daily_usage_refresh(dates_by_meter={meter.pk: set(days)}, method="sql")

    assert written == 7
    assert sorted(usage(meter)) == days
    assert {values[0] for values in usage(meter).values()} == {48.0}
