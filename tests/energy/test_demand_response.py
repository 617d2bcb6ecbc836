"""Demand-response awards on hand-computed examples.

A meter in Sapporo (Asia/Tokyo) reads 0.2 kWh every half hour outside 17:00-20:00; inside the
window each day's use is spread evenly over its 6 intervals: 3.0 kWh on working days and 7.2
on weekends unless ``WINDOW_KWH`` says otherwise. Monday 2026-07-20 is Marine Day (a national
holiday) with a high 9.0, so it must never count as a working day.

The event is Wednesday 2026-07-22, 17-20h, 10 points per kWh, actual use 1.2 kWh. Its similar
days are 07-21, 07-17, 07-16, 07-15, 07-14 with 3.0, 4.2, 6.0, 2.4, 3.6 kWh:
- average of 5: 19.2 / 5 = 3.84; saving 2.64; points floor(26.4) = 26
- high 4 of 5 (drop 2.4): 16.8 / 4 = 4.2; saving 3.0; points 30
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from config.celery_app import app as celery_app
from energy.campaigns.demand_response import (
    baseline_high_of,
    day_is_off,
    event_awards_compute,
    event_window_use,
    points_for,
    similar_days_select,
)
from energy.campaigns.ledger import points_held
from energy.campaigns.models import DemandResponseEvent, PointsEntry
from energy.models import Reading
from tests import factories
from tests.energy.recommendation_homes import daily_usage_create, weather_create

TOKYO = ZoneInfo("Asia/Tokyo")
EVENT_DAY = date(2026, 7, 22)
FIRST_DAY = date(2026, 6, 20)
OUTSIDE_KWH = 0.2
WINDOW_KWH = {
    date(2026, 7, 13): 3.0,
    date(2026, 7, 14): 3.6,
    date(2026, 7, 15): 2.4,
    date(2026, 7, 16): 6.0,
    date(2026, 7, 17): 4.2,
    date(2026, 7, 18): 6.0,  # Saturday
    date(2026, 7, 19): 3.0,  # Sunday: an event day in the weekend test
    date(2026, 7, 20): 9.0,  # Marine Day
    date(2026, 7, 21): 3.0,
    EVENT_DAY: 1.2,
}
# Noon the day after the event: its window is over.
AFTER = datetime(2026, 7, 23, 12, tzinfo=TOKYO)


def window_kwh(day: date) -> float:
    return WINDOW_KWH.get(day, 7.2 if day.weekday() >= 5 else 3.0)


def readings_write(meter, first: date = FIRST_DAY, last: date = EVENT_DAY) -> None:
    rows = []
    day = first
    while day <= last:
        start = datetime.combine(day, time(), tzinfo=TOKYO)
        for i in range(48):
            ts = start + timedelta(minutes=30 * i)
            value = window_kwh(day) / 6 if 17 <= ts.hour < 20 else OUTSIDE_KWH
            rows.append(Reading(meter=meter, ts=ts.astimezone(UTC), value=value))
        day += timedelta(days=1)
    Reading.objects.bulk_create(rows)


def window_reading(meter, day: date = EVENT_DAY, hour: int = 17) -> Reading:
    ts = datetime.combine(day, time(hour), tzinfo=TOKYO).astimezone(UTC)
    return Reading.objects.get(meter=meter, ts=ts)


def event_create(**fields) -> DemandResponseEvent:
    values = {
        "title_ja": "節電要請",
        "title_en": "Demand response",
        "event_date": EVENT_DAY,
        "start_hour": 17,
        "end_hour": 20,
        "points_per_kwh": Decimal("10"),
        "baseline_method": "average_5",
        "status": "announced",
        "commodity": "electricity",
    }
    return DemandResponseEvent.objects.create(**{**values, **fields})


def key(event, meter) -> str:
    return f"event:{event.pk}:{meter.premise_id}"


@pytest.fixture
def meter(db):
    meter = factories.MeterFactory(premise__region=factories.RegionFactory(name="Sapporo"))
    readings_write(meter)
    return meter


# --- Pure parts ------------------------------------------------------------------------------


def test_days_off_are_weekends_and_japanese_holidays():
    assert day_is_off(date(2026, 7, 18))  # Saturday
    assert day_is_off(date(2026, 7, 20))  # Marine Day (Monday)
    assert day_is_off(date(2026, 5, 6))  # substitute holiday for Constitution Day
    assert not day_is_off(date(2026, 7, 21))


def test_high_4_of_5_drops_the_lowest_day():
    assert baseline_high_of([3.0, 4.2, 6.0, 2.4, 3.6]) == pytest.approx(4.2)


def test_points_are_floored_from_use_rounded_to_a_watt_hour():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point: rounding keeps 3 points, not 2.
    assert points_for(baseline=0.1 + 0.2 + 0.3, actual=0.3, points_per_unit=Decimal("10")) == {
        "baseline": 0.6,
        "actual": 0.3,
        "saving": 0.3,
        "points": 3,
    }
    assert points_for(baseline=1.0, actual=1.5, points_per_unit=Decimal("10"))["points"] == 0
    assert points_for(baseline=2.0, actual=1.0, points_per_unit=Decimal("2.5"))["points"] == 2


def test_similar_days_skip_excluded_incomplete_and_other_kinds():
    uses = {EVENT_DAY - timedelta(days=n): (1.0, 6, 6) for n in range(1, 20)}
    uses[date(2026, 7, 14)] = (0.9, 5, 6)  # a missing interval
    days = similar_days_select(event_date=EVENT_DAY, window_uses=uses, excluded={date(2026, 7, 16)})
    # 07-20 is Marine Day, 07-18/19 a weekend, 07-16 excluded, 07-14 incomplete.
    assert [d.day for d in days] == [21, 17, 15, 13, 10]


# --- Window use --------------------------------------------------------------------------------


def test_event_window_use_counts_the_local_window(meter, django_assert_num_queries):
    with django_assert_num_queries(1):
        use, present, expected = event_window_use(
            meter_id=meter.pk,
            day=EVENT_DAY,
            start_hour=17,
            end_hour=20,
            time_zone="Asia/Tokyo",
            interval_minutes=30,
        )
    assert (round(use, 6), present, expected) == (1.2, 6, 6)
    use, present, expected = event_window_use(
        meter_id=meter.pk,
        day=EVENT_DAY,
        start_hour=0,
        end_hour=24,
        time_zone="Asia/Tokyo",
        interval_minutes=30,
    )
    assert (round(use, 6), present, expected) == (round(42 * OUTSIDE_KWH + 1.2, 6), 48, 48)


# --- Awards ---------------------------------------------------------------------------------------


def test_average_5_awards_the_hand_computed_points(meter):
    event = event_create(baseline_method="average_5")

    summary = event_awards_compute(event=event, now=AFTER)

    assert summary.as_dict() == {
        "event": event.pk,
        "status": "computed",
        "participants": 1,
        "awarded": 1,
    }
    entry = PointsEntry.objects.get(award_key=key(event, meter))
    assert (entry.kind, entry.points, entry.event_id) == ("award", 26, event.pk)
    assert entry.basis["method"] == "average_5"
    assert entry.basis["similar_days"] == [
        "2026-07-21",
        "2026-07-17",
        "2026-07-16",
        "2026-07-15",
        "2026-07-14",
    ]
    assert entry.basis["similar_day_use"] == [3.0, 4.2, 6.0, 2.4, 3.6]
    assert (entry.basis["baseline"], entry.basis["actual"], entry.basis["saving"]) == (
        3.84,
        1.2,
        2.64,
    )
    assert (entry.basis["unit"], entry.basis["points_per_unit"]) == ("kWh", 10.0)
    assert entry.basis["rule"].startswith("points = floor(")


def test_high_4_of_5_awards_the_hand_computed_points(meter):
    event = event_create(baseline_method="high_4_of_5")

    event_awards_compute(event=event, now=AFTER)

    entry = PointsEntry.objects.get(award_key=key(event, meter))
    assert (entry.points, entry.basis["baseline"], entry.basis["saving"]) == (30, 4.2, 3.0)


def test_other_event_days_are_not_similar_days(meter):
    event_create(event_date=date(2026, 7, 16), title_en="earlier event")
    event_create(event_date=date(2026, 7, 13), status="cancelled", title_en="called off")
    event = event_create()

    event_awards_compute(event=event, now=AFTER)

    # 07-16 is skipped; 07-13 (its event was cancelled) takes its place: 3.0, 4.2, 2.4, 3.6,
    # 3.0 -> 16.2 / 5 = 3.24; saving 2.04; 20 points.
    entry = PointsEntry.objects.get(award_key=key(event, meter))
    assert "2026-07-16" not in entry.basis["similar_days"]
    assert entry.basis["similar_days"][-1] == "2026-07-13"
    assert (entry.basis["baseline"], entry.points) == (3.24, 20)


def test_weekend_event_compares_with_weekend_days(meter):
    event = event_create(event_date=date(2026, 7, 19))  # Sunday

    event_awards_compute(event=event, now=AFTER)

    # 07-18 (6.0), 07-12, 07-11, 07-05, 07-04 (7.2 each): 34.8 / 5 = 6.96; actual 3.0;
    # saving 3.96; 39 points.
    entry = PointsEntry.objects.get(award_key=key(event, meter))
    assert entry.basis["similar_days"] == [
        "2026-07-18",
        "2026-07-12",
        "2026-07-11",
        "2026-07-05",
        "2026-07-04",
    ]
    assert (entry.basis["baseline"], entry.basis["saving"], entry.points) == (6.96, 3.96, 39)


def test_gas_event_awards_per_cubic_metre(db):
    meter = factories.MeterFactory(commodity="gas", unit="m3")
    readings_write(meter)
    electricity_meter = factories.MeterFactory(premise=meter.premise)
    readings_write(electricity_meter)
    event = event_create(commodity="gas", points_per_kwh=Decimal("20"))

    summary = event_awards_compute(event=event, now=AFTER)

    assert summary.as_dict()["participants"] == 1  # the electricity meter does not take part
    entry = PointsEntry.objects.get(event=event)
    assert (entry.basis["unit"], entry.basis["points_per_unit"]) == ("m3", 20.0)
    assert (entry.basis["saving"], entry.points) == (2.64, 52)


def test_too_few_similar_days_awards_nothing_and_says_why(db):
    meter = factories.MeterFactory()
    readings_write(meter, first=date(2026, 7, 15))  # 07-21, 07-17, 07-16, 07-15: four days
    event = event_create()

    summary = event_awards_compute(event=event, now=AFTER)

    [outcome] = summary.outcomes
    assert (outcome.status, outcome.points) == ("no_baseline", 0)
    assert "4 similar days" in outcome.basis["reasons"][0]
    assert not PointsEntry.objects.exists()


# --- Weather baseline --------------------------------------------------------------------------


def weather_year_create(meter, *, days: int = 365) -> None:
    """Daily use exactly 10 + 0.5 kWh per cooling degree day above 20 °C; the 45 days before
    the event are at 20 °C (10 kWh a day) and the event day is at 30 °C."""
    dates = [EVENT_DAY - timedelta(days=days - i) for i in range(days)]
    temperature_c = np.array(
        [
            20.0 if (EVENT_DAY - d).days <= 45 else 15 + 10 * np.sin(i / 58)
            for i, d in enumerate(dates)
        ]
    )
    weather_create(meter.premise.region, [*dates, EVENT_DAY], [*temperature_c, 30.0])
    daily_usage_create(meter, dates, 10 + 0.5 * np.maximum(temperature_c - 20.0, 0.0))


def test_weather_baseline_scales_the_model_day_by_the_window_share(meter):
    weather_year_create(meter)
    event = event_create(baseline_method="weather")

    event_awards_compute(event=event, now=AFTER)

    # The model predicts 10 + 0.5 * (30 - 20) = 15 kWh for the day. On the similar days the
    # window used 19.2 of 5 * 10 kWh: a share of 0.384. Baseline 15 * 0.384 = 5.76; actual
    # 1.2; saving 4.56; 45 points.
    entry = PointsEntry.objects.get(award_key=key(event, meter))
    basis = entry.basis
    assert basis["method"] == "weather"
    assert basis["model"]["kind"] == "cdd_only"
    assert basis["model"]["cooling_balance_c"] == 20.0
    assert basis["model"]["r_squared"] == pytest.approx(1.0)
    assert (basis["temperature_c"], basis["predicted_day_use"]) == (30.0, 15.0)
    assert basis["similar_day_totals"] == [10.0] * 5
    assert basis["window_share"] == 0.384
    assert (basis["baseline"], basis["saving"], entry.points) == (5.76, 4.56, 45)


def test_weather_baseline_without_a_model_awards_nothing(meter):
    weather_year_create(meter, days=100)
    event = event_create(baseline_method="weather")

    summary = event_awards_compute(event=event, now=AFTER)

    [outcome] = summary.outcomes
    assert outcome.status == "no_baseline"
    assert outcome.basis["reasons"] == [
        "265 of 365 baseline days lack usage (265) or temperature (265); "
        "CalTRACK allows at most 37 (2.2.1.2)"
    ]
    assert not PointsEntry.objects.exists()


# --- Late data, retries, corrections, cancellation --------------------------------------------


def test_incomplete_window_waits_then_late_readings_award(meter):
    late = window_reading(meter, hour=18)
    late_ts, late_value = late.ts, late.value
    late.delete()
    event = event_create()

    first = event_awards_compute(event=event, now=AFTER)

    assert [o.status for o in first.outcomes] == ["incomplete"]
    assert not PointsEntry.objects.exists()

    Reading.objects.create(meter=meter, ts=late_ts, value=late_value)  # arrives a day late
    event_awards_compute(event=event, now=AFTER + timedelta(days=1))

    assert points_held(award_key=key(event, meter)) == 26
    assert PointsEntry.objects.get().kind == "award"


def test_recomputing_awards_once(meter):
    event = event_create()

    event_awards_compute(event=event, now=AFTER)
    again = event_awards_compute(event=event, now=AFTER)

    assert [o.status for o in again.outcomes] == ["unchanged"]
    assert [o.points for o in again.outcomes] == [26]
    assert PointsEntry.objects.count() == 1


def test_corrected_reading_appends_the_difference(meter):
    event = event_create()
    event_awards_compute(event=event, now=AFTER)

    Reading.objects.filter(pk=window_reading(meter).pk).update(value=0.5)  # 0.2 -> 0.5
    summary = event_awards_compute(event=event, now=AFTER)

    # Actual 1.5; saving 3.84 - 1.5 = 2.34; 23 points: a correction of -3.
    assert [o.status for o in summary.outcomes] == ["corrected"]
    award, correction = PointsEntry.objects.order_by("pk")
    assert (award.kind, award.points) == ("award", 26)
    assert (correction.kind, correction.points) == ("correction", -3)
    assert (correction.basis["actual"], correction.basis["saving"]) == (1.5, 2.34)
    assert (correction.basis["points_before"], correction.basis["points_now"]) == (26, 23)
    assert points_held(award_key=key(event, meter)) == 23


def test_cancelled_event_awards_nothing(meter):
    event = event_create(status="cancelled", cancelled_at=AFTER - timedelta(days=2))

    summary = event_awards_compute(event=event, now=AFTER)

    assert summary.as_dict()["status"] == "cancelled"
    assert not PointsEntry.objects.exists()


def test_draft_event_awards_nothing(meter):
    event = event_create(status="draft")

    assert event_awards_compute(event=event, now=AFTER).status == "not_announced"
    assert not PointsEntry.objects.exists()


def test_nothing_before_the_window_ends(meter):
    event = event_create()

    summary = event_awards_compute(event=event, now=datetime(2026, 7, 22, 19, 59, tzinfo=TOKYO))

    assert [o.status for o in summary.outcomes] == ["not_ended"]
    assert not PointsEntry.objects.exists()


def test_only_customers_in_the_events_regions_and_groups_take_part(meter):
    group = Group.objects.create(name="dr-pilot")
    meter.premise.owner.groups.add(group)
    outside_group = factories.MeterFactory(premise__region=meter.premise.region)
    readings_write(outside_group)
    elsewhere_owner = factories.UserFactory()
    elsewhere_owner.groups.add(group)
    elsewhere = factories.MeterFactory(
        premise__owner=elsewhere_owner, premise__region=factories.RegionFactory(name="Naha")
    )
    readings_write(elsewhere)
    event = event_create()
    event.regions.add(meter.premise.region)
    event.groups.add(group)

    summary = event_awards_compute(event=event, now=AFTER)

    assert [o.meter_id for o in summary.outcomes] == [meter.pk]
    assert list(PointsEntry.objects.values_list("user_id", "points")) == [
        (meter.premise.owner_id, 26)
    ]


# --- Scheduling ---------------------------------------------------------------------------------


def test_hourly_task_recomputes_recent_events_only(meter):
    recent = event_create()
    old = event_create(event_date=date(2026, 7, 1), title_en="old")  # more than 14 days ago
    cancelled = event_create(event_date=date(2026, 7, 21), cancelled_at=AFTER)
    from energy.tasks import demand_response_awards_compute

    with mock.patch("django.utils.timezone.now", return_value=AFTER + timedelta(days=10)):
        event_ids = demand_response_awards_compute.delay().get()
        demand_response_awards_compute.delay().get()  # the next hour: nothing new

    assert event_ids == [recent.pk]
    assert old.pk not in event_ids and cancelled.pk not in event_ids
    assert list(PointsEntry.objects.values_list("event_id", "points")) == [(recent.pk, 26)]


def test_beat_runs_the_task_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["demand-response-awards-hourly"]
    assert entry["task"] in celery_app.tasks


def test_a_baseline_lost_after_an_award_corrects_it_to_zero(meter):
    event = event_create()
    event_awards_compute(event=event, now=AFTER)
    # The readings before 07-16 turn out never to have been there (a meter swap, say): only
    # 07-21, 07-17 and 07-16 are left as similar days.
    Reading.objects.filter(
        meter=meter, ts__lt=datetime(2026, 7, 16, tzinfo=TOKYO).astimezone(UTC)
    ).delete()

    summary = event_awards_compute(event=event, now=AFTER)

    [outcome] = summary.outcomes
    assert outcome.status == "no_baseline"
    correction = PointsEntry.objects.order_by("pk").last()
    assert (correction.kind, correction.points) == ("correction", -26)
    assert correction.basis["reason"].startswith("3 similar days")
    assert points_held(award_key=key(event, meter)) == 0
