"""The fast ingest path (CSV COPYed into staging, checked in SQL) and the reference path (parsed
and checked in Python) make the same batches, readings, revisions and daily rollups.

Each test delivers the same bodies to two identical sets of meters, one set through each path,
and compares everything a client or customer can read afterwards.
"""

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.access import METER_GATEWAYS
from energy.ingest import services
from energy.ingest.parse import csv_plain_columns
from energy.ingest.services import batch_process, batch_receive
from energy.models import DailyUsage, IngestBatch, Reading, ReadingRevision
from tests import factories

pytestmark = pytest.mark.usefixtures("postgresql")

# Meters by role: electricity every 30 minutes (Tokyo, installed 2025-10-01), gas hourly with
# its own maximum, electricity in India (+05:30: local days start mid-hour).
ROLES = ("e", "g", "k")
PATHS = ("fast", "reference")
START = datetime(2025, 10, 31, 12, tzinfo=UTC)  # slots run across several local midnights
SOURCE_TIME = datetime(2025, 12, 1, tzinfo=UTC)


@pytest.fixture
def sides(db):
    tokyo = factories.RegionFactory(name="Sapporo", time_zone="Asia/Tokyo")
    india = factories.RegionFactory(name="Pune", time_zone="Asia/Kolkata")
    made = {}
    for path in PATHS:
        made[path] = {
            "e": factories.MeterFactory(
                serial=f"{path}-e",
                premise=factories.PremiseFactory(region=tokyo),
                installed_on=date(2025, 10, 31),
            ),
            "g": factories.MeterFactory(
                serial=f"{path}-g",
                premise=factories.PremiseFactory(region=tokyo),
                commodity="gas",
                unit="m3",
                interval_minutes=60,
                max_value_per_interval=2.5,
            ),
            "k": factories.MeterFactory(
                serial=f"{path}-k", premise=factories.PremiseFactory(region=india)
            ),
        }
    gateway = factories.UserFactory()
    gateway.groups.add(Group.objects.get(name=METER_GATEWAYS))
    return made, gateway


def receive(sides, path: str, body: str) -> IngestBatch:
    made, gateway = sides
    text = body.format(**{role: made[path][role].serial for role in ROLES})
    batch, _ = batch_receive(
        client=gateway,
        body=text.encode(),
        content_type="text/csv",
        enqueue=False,
        source_time=SOURCE_TIME,
    )
    return batch


def deliver(sides, body: str, settings_, monkeypatch) -> dict[str, IngestBatch]:
    """The body (serials written {e}, {g}, {k}) through each path; each path's batch."""
    reference_calls = []
    real_reference = services._stored_reference

    def counted(batch):
        reference_calls.append(batch.pk)
        return real_reference(batch)

    monkeypatch.setattr(services, "_stored_reference", counted)
    batches = {}
    for path in PATHS:
        settings_.INGEST_FAST_PATH = path == "fast"
        batch = receive(sides, path, body)
        batches[path] = batch_process(batch_id=batch.pk, recommendations_follow=False)
    batches["fast_path_taken"] = batches["fast"].pk not in reference_calls
    return batches


def outcome(batch: IngestBatch, path: str) -> dict:
    rows = [
        {**row, "row": {**row["row"], "meter": _serial(row["row"], path)}}
        for row in batch.rejected_rows
    ]
    return {
        "status": batch.status,
        "error": batch.error,
        "counts": (
            batch.accepted_count,
            batch.duplicate_count,
            batch.corrected_count,
            batch.stale_count,
            batch.rejected_count,
        ),
        "rejected_rows": rows,
        "rejected_reasons": batch.rejected_reasons,
    }


def _serial(row: dict, path: str):
    meter = row.get("meter")
    return meter.replace(path, "P") if isinstance(meter, str) else meter


def stored(meters: dict) -> dict:
    result = {}
    for role, meter in meters.items():
        result[role] = {
            "readings": list(
                Reading.objects.filter(meter=meter)
                .order_by("ts")
                .values_list("ts", "value", "quality", "source_time")
            ),
            "revisions": list(
                ReadingRevision.objects.filter(meter=meter)
                .order_by("ts", "kind", "value")
                .values_list("ts", "value", "quality", "source_time", "kind")
            ),
            "days": [
                (
                    day.date,
                    day.intervals,
                    day.estimated_intervals,
                    day.baseload,
                    day.peak,
                    day.peak_at,
                    round(day.total, 9),
                    round(day.night_total, 9),
                )
                for day in DailyUsage.objects.filter(meter=meter).order_by("date")
            ],
        }
    return result


def assert_same(sides, batches) -> None:
    made, _ = sides
    assert outcome(batches["fast"], "fast") == outcome(batches["reference"], "reference")
    assert stored(made["fast"]) == stored(made["reference"])


def slot(n: int, offset: str = "+09:00") -> str:
    moment = START + timedelta(minutes=30 * n)
    if offset == "Z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    sign = 1 if offset[0] == "+" else -1
    return (moment + sign * timedelta(hours=hours, minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    ) + offset


def test_a_clean_body_takes_the_fast_path_and_stores_what_the_reference_path_stores(
    sides, settings, monkeypatch
):
    rows = [f"{{e}},{slot(n)},{0.125 * (n % 9)}" for n in range(0, 120)]
    rows += [f"{{g}},{slot(n)},{0.5 + n / 1000}" for n in range(0, 120, 2)]
    rows += [f"{{k}},{slot(n, '+05:30')},0.3" for n in range(0, 120)]
    rows += [f"{{k}},{slot(n, 'Z').replace('T', ' ')},0.3e1" for n in range(120, 130)]
    batches = deliver(sides, "meter,ts,value\n" + "\n".join(rows) + "\n", settings, monkeypatch)

    assert batches["fast_path_taken"]
    assert batches["fast"].accepted_count == 310
    assert_same(sides, batches)


def test_bad_rows_get_the_reference_paths_reasons_and_lines_on_the_fast_path(
    sides, settings, monkeypatch
):
    body = "\n".join(
        [
            "Value,meter,TS,quality",
            f"0.5,{{e}},{slot(0)},",
            f"0.5,nobody,{slot(1)},",  # unknown meter
            "0.5,{e},2025-11-01T00:15:00+09:00,",  # off the grid
            "0.5,{e},2099-01-01T00:00:00+09:00,",  # future
            f"-0.5,{{e}},{slot(2)},",  # negative
            f"nan,{{e}},{slot(3)},",  # not finite
            f"99,{{g}},{slot(4)},",  # above the gas meter's own maximum
            f"0.7,{{e}},{slot(0)},",  # the same interval again
            "0.5,{e},2025-02-30T00:00:00+09:00,",  # no such day
            "0.5,{e},2025-10-30T00:00:00+09:00,",  # before installation
            "0.5,{e},2025-11-01T09:00:00,",  # no offset
            f"0.5,{{e}},{slot(5)},bogus",  # quality
            f"abc,{{e}},{slot(6)},estimated",
            f",{{e}},{slot(7)},",
            f"0.25,,{slot(8)},",
            f"0.25,{{k}},{slot(9, '+05:30')},estimated",
        ]
    )
    batches = deliver(sides, body + "\n", settings, monkeypatch)

    assert batches["fast_path_taken"]
    assert batches["fast"].rejected_count == 14
    assert_same(sides, batches)


def test_a_second_delivery_over_stored_readings_merges_on_the_fast_path(
    sides, settings, monkeypatch
):
    first = "meter,ts,value\n" + "".join(f"{{e}},{slot(n)},1.0\n" for n in range(0, 60))
    deliver(sides, first, settings, monkeypatch)
    again = "meter,ts,value,quality\n" + "".join(
        f"{{e}},{slot(n)},{1.0 if n % 3 else 2.0},{'estimated' if n % 5 == 0 else ''}\n"
        for n in range(40, 100)
    )
    batches = deliver(sides, again, settings, monkeypatch)

    assert batches["fast_path_taken"]
    assert batches["fast"].corrected_count > 0 and batches["fast"].accepted_count == 40
    assert_same(sides, batches)


def test_readings_appended_to_a_day_with_readings_roll_up_the_whole_day(
    sides, settings, monkeypatch
):
    # Slots run from 21:00 local time: the first delivery starts a day, the second goes on
    # from it across the following days (the usual gateway: the newest intervals only).
    first = "meter,ts,value\n" + "".join(f"{{e}},{slot(n)},0.5\n" for n in range(0, 10))
    deliver(sides, first, settings, monkeypatch)
    rest = "meter,ts,value\n" + "".join(f"{{e}},{slot(n)},0.25\n" for n in range(10, 150))
    batches = deliver(sides, rest, settings, monkeypatch)

    assert batches["fast_path_taken"]
    assert batches["fast"].accepted_count == 140
    assert_same(sides, batches)
    made, _ = sides
    days = list(DailyUsage.objects.filter(meter=made["fast"]["e"]).order_by("date"))
    # 1 November: 4 half-hours of the first delivery (from midnight), 44 of the second.
    assert (days[1].intervals, days[1].total) == (48, pytest.approx(4 * 0.5 + 44 * 0.25))


@pytest.mark.parametrize(
    "body",
    [
        'meter,ts,value\n"{e}",' + slot(0) + ",1\n",  # quoted
        "meter,ts,value\n{e}," + slot(0) + ",1\n\n{e}," + slot(1) + ",1\n",  # blank line
        "meter,ts,value\n{e}," + slot(0) + ",1,9\n",  # a field too many
        "meter,ts,value\n{e}," + slot(0) + ",+1\n",  # Python reads it, SQL leaves it
    ],
)
def test_bodies_the_fast_path_cannot_read_as_python_does_take_the_reference_path(
    sides, settings, monkeypatch, body
):
    batches = deliver(sides, body, settings, monkeypatch)

    assert not batches["fast_path_taken"]
    assert_same(sides, batches)


def test_only_bodies_copy_reads_as_pythons_csv_module_does_are_eligible():
    assert csv_plain_columns("meter,ts,value\nA,1,2\n") == ["meter", "ts", "value"]
    assert csv_plain_columns(" Meter , TS,value,quality\n") == ["meter", "ts", "value", "quality"]
    for text in (
        'meter,ts,value\n"A",1,2\n',
        "meter,ts,value\r\nA,1,2\r\n",
        "meter,ts,value\n\nA,1,2\n",
        "meter,ts\nA,1\n",
        "meter,ts,value,value\n",
        "meter,ts,value,colour\n",
    ):
        assert csv_plain_columns(text) is None, text


def test_rows_with_their_own_source_times_take_the_fast_path(sides, settings, monkeypatch):
    first = "meter,ts,value,source_time\n" + "".join(
        f"{{e}},{slot(n)},1.0,2025-11-20T00:00:00Z\n" for n in range(0, 10)
    )
    deliver(sides, first, settings, monkeypatch)
    body = "meter,ts,value,source_time\n" + "".join(
        [
            f"{{g}},{slot(20)},1,2025-11-30T00:00:00+09:00\n",
            f"{{g}},{slot(22)},1,\n",  # the batch's source time
            f"{{g}},{slot(24)},1,2025-10-31T00:00:00Z\n",  # before its interval began
            f"{{g}},{slot(26)},1,2999-01-01T00:00:00Z\n",  # in the future
            f"{{g}},{slot(28)},1,yesterday\n",
            f"{{g}},{slot(30)},1,2025-11-30T00:00:00\n",  # no offset
        ]
    )
    batches = deliver(sides, body, settings, monkeypatch)

    assert batches["fast_path_taken"]
    assert batches["fast"].accepted_count == 2 and batches["fast"].rejected_count == 4
    assert_same(sides, batches)


# --- Random bodies ---------------------------------------------------------------------------

timestamps = st.one_of(
    st.builds(slot, st.integers(0, 200)),
    st.builds(slot, st.integers(0, 200), st.sampled_from(["Z", "+00:00", "+05:30", "-03:00"])),
    st.sampled_from(
        [
            "2025-11-01T00:15:00+09:00",
            "2099-01-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-11-01",
            "2025-11-01T00:00:00",
            "1969-12-31T23:30:00Z",
            "2025-11-01T00:00:00.5Z",
            "2025-11-01T00:00:00.000+09:00",
            "soon",
            "",
        ]
    ),
)
values = st.one_of(
    st.floats(min_value=0, max_value=40, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.integers(0, 3).map(str),
    st.sampled_from(["-1", "nan", "inf", "1e-2", " 1", "abc", "", "0.0000000000000001", "100"]),
)
rows = st.tuples(
    st.sampled_from(["{e}", "{g}", "{k}", "{e}", "nobody", ""]),
    timestamps,
    values,
    st.sampled_from(["", "", "measured", "estimated", "bogus"]),
    st.sampled_from(["", "", "", "2025-11-20T00:00:00Z", "2025-11-01T00:00:00+09:00", "x"]),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deliveries=st.lists(st.lists(rows, min_size=1, max_size=40), min_size=1, max_size=3))
def test_any_deliveries_give_the_same_result_on_both_paths(
    sides, settings, monkeypatch, deliveries
):
    with transaction.atomic():
        for delivery in deliveries:
            body = "meter,ts,value,quality,source_time\n" + "".join(
                ",".join(row) + "\n" for row in delivery
            )
            batches = deliver(sides, body, settings, monkeypatch)
            assert_same(sides, batches)
        transaction.set_rollback(True)


def test_floats_survive_the_fast_path_exactly(sides, settings, monkeypatch):
    awkward = ["0.1", "0.30000000000000004", "29.999999999999996", "0.000000000000001"]
    body = "meter,ts,value\n" + "".join(
        f"{{e}},{slot(n)},{value}\n" for n, value in enumerate(awkward)
    )
    batches = deliver(sides, body, settings, monkeypatch)

    assert batches["fast_path_taken"]
    made, _ = sides
    values = list(
        Reading.objects.filter(meter=made["fast"]["e"])
        .order_by("ts")
        .values_list("value", flat=True)
    )
    assert values == [float(v) for v in awkward]
    assert all(math.isfinite(v) for v in values)


# --- Several batches in one transaction ------------------------------------------------------


def test_waiting_batches_are_stored_together_as_each_would_be_alone(sides, settings):
    bodies = [
        "meter,ts,value\n" + "".join(f"{{e}},{slot(n)},0.5\n" for n in range(0, 40)),
        "meter,ts,value,quality\n"
        + "".join(f"{{g}},{slot(n)},1.25,estimated\n" for n in range(0, 40, 2))
        + f"{{g}},{slot(1)},1,\n"  # off the gas meter's hourly grid
        + "nobody,2025-11-01T00:00:00Z,1,\n",
        "meter,value,ts\n"
        + "".join(f"{{k}},0.75,{slot(n, '+05:30')}\n" for n in range(10, 50))
        + f"{{k}},0.8,{slot(10, '+05:30')}\n",  # again in the same batch
    ]
    settings.INGEST_FAST_PATH = True
    settings.INGEST_BATCHES_PER_TRANSACTION = 1
    alone = [receive(sides, "reference", body) for body in bodies]
    for batch in alone:
        batch_process(batch_id=batch.pk, recommendations_follow=False)
    settings.INGEST_BATCHES_PER_TRANSACTION = 4
    together = [receive(sides, "fast", body) for body in bodies]
    batch_process(batch_id=together[0].pk, recommendations_follow=False)

    for fast, reference in zip(together, alone, strict=True):
        fast.refresh_from_db()
        reference.refresh_from_db()
        assert fast.status == "done" and fast.attempts == 1
        assert outcome(fast, "fast") == outcome(reference, "reference")
    made, _ = sides
    assert stored(made["fast"]) == stored(made["reference"])
    assert [b.accepted_count for b in together] == [40, 20, 40]
    assert [b.rejected_count for b in together] == [0, 2, 1]
    assert together[1].rejected_rows[0]["line"] == 22


def test_batches_holding_the_same_readings_are_not_stored_together(sides, settings):
    settings.INGEST_BATCHES_PER_TRANSACTION = 4
    body = "meter,ts,value\n" + "".join(f"{{e}},{slot(n)},0.5\n" for n in range(0, 10))
    first, second = receive(sides, "fast", body), receive(sides, "fast", body)
    batch_process(batch_id=first.pk, recommendations_follow=False)
    second.refresh_from_db()
    assert second.status == "received"  # left for its own message

    batch_process(batch_id=second.pk, recommendations_follow=False)
    second.refresh_from_db()
    assert (second.accepted_count, second.duplicate_count) == (0, 10)
