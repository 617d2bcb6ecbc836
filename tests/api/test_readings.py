"""Readings through the API: local-time aggregation, keyset pages, filters and bad input."""

import os
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.apikeys.models import ApiScope
from energy.models import Meter, Reading
from energy.rollups import daily_usage_refresh, local_dates_touched
from tests import factories

TOKYO_MIDNIGHT = datetime(2026, 1, 1, 15, tzinfo=UTC)  # 2026-01-02 00:00 in Asia/Tokyo


@pytest.fixture
def export(api_client_for):
    return api_client_for(ApiScope.EXPORT)


@pytest.fixture
def meter(db):
    return factories.MeterFactory(serial="E-TOKYO")


def readings(meter, start: datetime, values: list[float], *, quality="measured"):
    """Store readings and roll up their days, as ingest does."""
    stored = Reading.objects.bulk_create(
        Reading(meter=meter, ts=start + timedelta(minutes=30 * n), value=value, quality=quality)
        for n, value in enumerate(values)
    )
    daily_usage_refresh(
        dates_by_meter=local_dates_touched(
            meter_epochs=((r.meter_id, int(r.ts.timestamp())) for r in stored)
        )
    )


def test_days_are_the_customers_local_days(export, meter):
    # 23:00-24:00 local on 1 January (1 + 2), then 00:00-01:00 local on 2 January (4 + 8).
    readings(meter, TOKYO_MIDNIGHT - timedelta(hours=1), [1, 2, 4, 8])
    readings(meter, TOKYO_MIDNIGHT + timedelta(hours=1), [16], quality="estimated")

    days = export.get("/api/v1/readings/?resolution=day").json()["results"]

    assert [(d["start"], d["end"], d["value"], d["intervals"]) for d in days] == [
        ("2026-01-01T00:00:00+09:00", "2026-01-02T00:00:00+09:00", 3.0, 2),
        ("2026-01-02T00:00:00+09:00", "2026-01-03T00:00:00+09:00", 28.0, 3),
    ]
    assert [d["estimated_intervals"] for d in days] == [0, 1]
    assert {d["meter"] for d in days} == {"E-TOKYO"} and {d["unit"] for d in days} == {"kWh"}


def test_hours_and_months_in_local_time(export, meter):
    readings(meter, datetime(2026, 1, 31, 14, tzinfo=UTC), [1, 2, 4, 8])  # 23:00 31 Jan - 01:00

    hours = export.get("/api/v1/readings/?resolution=hour").json()["results"]
    assert [(h["start"], h["value"]) for h in hours] == [
        ("2026-01-31T23:00:00+09:00", 3.0),
        ("2026-02-01T00:00:00+09:00", 12.0),
    ]
    months = export.get("/api/v1/readings/?resolution=month").json()["results"]
    assert [(m["start"], m["end"], m["value"]) for m in months] == [
        ("2026-01-01T00:00:00+09:00", "2026-02-01T00:00:00+09:00", 3.0),
        ("2026-02-01T00:00:00+09:00", "2026-03-01T00:00:00+09:00", 12.0),
    ]


def test_another_time_zone_uses_its_own_midnight(export):
    london = factories.MeterFactory(
        serial="E-LONDON",
        premise__region=factories.RegionFactory(name="London", time_zone="Europe/London"),
    )
    readings(london, datetime(2026, 7, 1, 22, 30, tzinfo=UTC), [1, 2])  # 23:30 BST, 00:00 BST

    days = export.get("/api/v1/readings/?resolution=day&meter=E-LONDON").json()["results"]

    assert [(d["start"], d["value"]) for d in days] == [
        ("2026-07-01T00:00:00+01:00", 1.0),
        ("2026-07-02T00:00:00+01:00", 2.0),
    ]


def test_raw_readings_filter_by_meters_time_and_quality(export, meter):
    other = factories.MeterFactory(serial="E-OTHER")
    readings(meter, TOKYO_MIDNIGHT, [1, 2, 3])
    readings(other, TOKYO_MIDNIGHT, [9], quality="estimated")
    start = (TOKYO_MIDNIGHT + timedelta(minutes=30)).isoformat()

    rows = export.get("/api/v1/readings/", {"meter": "E-TOKYO", "start": start}).json()["results"]
    assert [(r["ts"], r["value"]) for r in rows] == [
        ("2026-01-01T15:30:00Z", 2.0),
        ("2026-01-01T16:00:00Z", 3.0),
    ]
    estimated = export.get("/api/v1/readings/?quality=estimated").json()["results"]
    assert [(r["meter"], r["value"]) for r in estimated] == [("E-OTHER", 9.0)]
    both = export.get("/api/v1/readings/?meter=E-TOKYO,E-OTHER").json()["results"]
    assert len(both) == 4


def walk(client, url: str) -> list[dict]:
    rows, pages = [], 0
    while url:
        page = client.get(url).json()
        rows += page["results"]
        url, pages = page["next"], pages + 1
    return rows


@pytest.mark.parametrize("resolution", ["raw", "hour", "day"])
def test_pages_add_up_to_the_whole(export, meter, resolution):
    second = factories.MeterFactory(serial="E-SECOND")
    for m in (meter, second):
        readings(m, TOKYO_MIDNIGHT - timedelta(hours=3), [1.0] * 12)

    whole = export.get(f"/api/v1/readings/?resolution={resolution}&page_size=1000").json()
    paged = walk(export, f"/api/v1/readings/?resolution={resolution}&page_size=5")

    assert whole["next"] is None and paged == whole["results"]


def test_pages_stay_stable_while_readings_arrive(export, meter):
    """Rows inserted before or after the cursor never repeat or hide rows already there."""
    readings(meter, TOKYO_MIDNIGHT, [1.0] * 10)
    first = export.get("/api/v1/readings/?page_size=4").json()
    seen = [(r["meter"], r["ts"]) for r in first["results"]]

    # Meanwhile: a late reading before the cursor, and new ones after it, arrive.
    readings(meter, TOKYO_MIDNIGHT - timedelta(hours=2), [5.0])
    readings(meter, TOKYO_MIDNIGHT + timedelta(hours=5), [7.0, 7.0])

    rest = walk(export, first["next"])
    seen += [(r["meter"], r["ts"]) for r in rest]
    original = {
        (
            meter.serial,
            (TOKYO_MIDNIGHT + timedelta(minutes=30 * n)).isoformat().replace("+00:00", "Z"),
        )
        for n in range(10)
    }
    assert len(seen) == len(set(seen)), "a row was served twice"
    assert original <= set(seen), "a row that was there from the start was skipped"
    assert len(seen) == 12  # the two later ones, after the cursor, are included too


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("resolution=week", "resolution"),
        ("start=yesterday", "start"),
        ("quality=guessed", "quality"),
    ],
)
def test_bad_parameters_are_400_with_the_field(export, meter, query, field):
    response = export.get(f"/api/v1/readings/?{query}")
    body = response.json()
    assert response.status_code == 400 and field in body["details"], body


def test_a_forged_cursor_is_400(export, meter):
    readings(meter, TOKYO_MIDNIGHT, [1.0, 2.0])
    for cursor in ["nonsense", "WzEsMiwzXQ", "WyJ4IiwieSJd"]:  # junk, [1,2,3], ["x","y"]
        response = export.get(f"/api/v1/readings/?resolution=day&cursor={cursor}")
        assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


def test_an_unusual_offset_is_the_same_instant_not_an_error(export, meter):
    # PostgreSQL itself refuses offsets past ±15:59; the filter compares in UTC first.
    readings(meter, TOKYO_MIDNIGHT, [1.0, 2.0])
    start = "2026-01-02T08:00:00+16:30"  # 2026-01-01T15:30Z

    response = export.get("/api/v1/readings/", {"start": start})

    assert response.status_code == 200
    assert [r["value"] for r in response.json()["results"]] == [2.0]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stretches=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3),  # which meter
            st.integers(min_value=0, max_value=24 * 90),  # first interval, half-hours from start
            st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=1, max_size=60),
            st.sampled_from(["measured", "estimated"]),
        ),
        min_size=1,
        max_size=6,
    ),
    page_size=st.sampled_from([1, 3, 100]),
)
def test_day_and_month_sums_from_the_rollups_equal_those_from_the_readings(
    export, stretches, page_size
):
    """The rollups (what ingest keeps) give the same buckets as summing every reading, in
    Tokyo and in a zone with summer time, across page boundaries."""
    from django.db import transaction
    from django.test import override_settings

    with transaction.atomic():
        london = factories.RegionFactory(name="London", time_zone="Europe/London")
        meters = [
            factories.MeterFactory(serial="E-EQ-0"),
            factories.MeterFactory(serial="E-EQ-1", premise__region=london),
            factories.MeterFactory(serial="G-EQ-2", commodity="gas", unit="m3"),
            factories.MeterFactory(serial="E-EQ-3", premise__region=london),
        ]
        taken = set()
        for which, first, values, quality in stretches:
            start = datetime(2026, 2, 20, tzinfo=UTC) + timedelta(minutes=30 * first)
            fresh = [(n, v) for n, v in enumerate(values) if (which, first + n) not in taken]
            taken.update((which, first + n) for n, _ in fresh)
            for n, value in fresh:
                readings(meters[which], start + timedelta(minutes=30 * n), [value], quality=quality)

        for resolution in ("day", "month"):
            answers = {}
            for from_rollups in (True, False):
                with override_settings(READINGS_AGGREGATES_FROM_ROLLUPS=from_rollups):
                    rows, url = (
                        [],
                        f"/api/v1/readings/?resolution={resolution}&page_size={page_size}",
                    )
                    while url:
                        body = export.get(url).json()
                        rows += body["results"]
                        url = body["next"]
                answers[from_rollups] = rows
            rollups, raw = answers[True], answers[False]
            described = [(r["meter"], r["start"], r["end"], r["unit"]) for r in rollups]
            assert described == [(r["meter"], r["start"], r["end"], r["unit"]) for r in raw]
            counts = [(r["intervals"], r["estimated_intervals"]) for r in rollups]
            assert counts == [(r["intervals"], r["estimated_intervals"]) for r in raw]
            assert [r["value"] for r in rollups] == pytest.approx(
                [r["value"] for r in raw], rel=1e-9, abs=1e-9
            )
        transaction.set_rollback(True)


def buckets_summed_in_python(resolution: str, *, start=None, end=None, quality=None) -> list:
    """Each meter's readings summed per local hour, day or month, with zoneinfo: the oracle."""
    sums: dict = {}
    for reading in Reading.objects.select_related("meter__premise__region"):
        if (start and reading.ts < start) or (end and reading.ts >= end):
            continue
        if quality and reading.quality != quality:
            continue
        zone = reading.meter.premise.region.tzinfo
        local = reading.ts.astimezone(zone).replace(minute=0, second=0, tzinfo=None)
        if resolution != "hour":
            local = local.replace(hour=0)
        if resolution == "month":
            local = local.replace(day=1)
        key = (reading.meter_id, local)
        total, intervals, estimated = sums.get(key, (0.0, 0, 0))
        sums[key] = (
            total + reading.value,
            intervals + 1,
            estimated + (reading.quality == "estimated"),
        )
    meters = {m.pk: m for m in Meter.objects.select_related("premise__region")}
    return [
        (
            meters[meter_id].serial,
            local.replace(tzinfo=meters[meter_id].premise.region.tzinfo).isoformat(),
            total,
            intervals,
            estimated,
        )
        for (meter_id, local), (total, intervals, estimated) in sorted(sums.items())
    ]


@settings(
    max_examples=int(os.environ.get("READINGS_ORACLE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stretches=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3),  # which meter
            st.integers(min_value=0, max_value=24 * 120),  # first hour, from 1 September
            st.sampled_from(["interval", "day"]),  # one reading per interval, or per day
            st.integers(min_value=1, max_value=60),  # how many
            st.sampled_from(["measured", "estimated"]),
        ),
        min_size=1,
        max_size=5,
    ),
    page_size=st.sampled_from([1, 2, 3, 7, 100]),
    resolution=st.sampled_from(["hour", "day", "month"]),
    window=st.sampled_from([None, "start", "end", "both", "quality"]),
    from_rollups=st.booleans(),
)
def test_pages_of_sums_equal_the_readings_summed_in_python(
    export, stretches, page_size, resolution, window, from_rollups
):
    """Whatever the page size, filters, path (rollups or readings) and where the pages' row
    bounds fall, walking every page gives each local bucket's exact sum, count and estimated
    count: in Tokyo, and in London across its October change of clock; for meters that read
    every 30 minutes, every hour or once a day."""
    from django.db import transaction
    from django.test import override_settings

    first = datetime(2026, 9, 1, tzinfo=UTC)
    with transaction.atomic():
        london = factories.RegionFactory(name="London", time_zone="Europe/London")
        meters = [
            factories.MeterFactory(serial="E-OR-0"),
            factories.MeterFactory(serial="E-OR-1", premise__region=london),
            factories.MeterFactory(
                serial="G-OR-2", commodity="gas", unit="m3", interval_minutes=60
            ),
            factories.MeterFactory(serial="G-OR-3", premise__region=london, interval_minutes=60),
        ]
        taken: set = set()
        for which, hour, step, count, quality in stretches:
            meter = meters[which]
            minutes = meter.interval_minutes if step == "interval" else 24 * 60
            times = [first + timedelta(hours=hour, minutes=minutes * n) for n in range(count)]
            fresh = [ts for ts in times if (which, ts) not in taken]
            taken.update((which, ts) for ts in fresh)
            stored = Reading.objects.bulk_create(
                Reading(meter=meter, ts=ts, value=0.25 + (n % 7), quality=quality)
                for n, ts in enumerate(fresh)
            )
            daily_usage_refresh(
                dates_by_meter=local_dates_touched(
                    meter_epochs=((r.meter_id, int(r.ts.timestamp())) for r in stored)
                )
            )
        start, end = datetime(2026, 9, 20, 5, 30, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
        filters = {
            None: {},
            "start": {"start": start},
            "end": {"end": end},
            "both": {"start": start, "end": end},
            "quality": {"quality": "estimated"},
        }[window]
        query = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in filters.items()}
        url = "/api/v1/readings/?" + urlencode(
            {"resolution": resolution, "page_size": page_size, **query}
        )

        with override_settings(READINGS_AGGREGATES_FROM_ROLLUPS=from_rollups):
            rows = walk(export, url)

        got = [
            (r["meter"], r["start"], r["value"], r["intervals"], r["estimated_intervals"])
            for r in rows
        ]
        expected = buckets_summed_in_python(resolution, **filters)
        assert [g[:2] + g[3:] for g in got] == [e[:2] + e[3:] for e in expected]
        assert [g[2] for g in got] == pytest.approx([e[2] for e in expected], rel=1e-9)
        transaction.set_rollback(True)
