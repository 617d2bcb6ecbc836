"""Row validation (``readings_validate``) and body parsing (``payload_check``, ``parse_rows``)."""

import csv
import io
import json
import math
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from config.errors import PayloadTooLarge, ValidationFailed
from energy.ingest.parse import RawRow, decode_body, parse_rows, payload_check
from energy.ingest.validate import (
    QUALITIES,
    SOURCE_CLOCK_AHEAD_S,
    MeterRules,
    Reason,
    ValidReading,
    microseconds,
    readings_validate,
)
from energy.models import BatchFormat

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
ELECTRICITY = MeterRules(id=1, interval_minutes=30, max_value=30.0)
GAS = MeterRules(id=2, interval_minutes=60, max_value=30.0)
FIFTEEN = MeterRules(id=3, interval_minutes=15, max_value=2.5)
METERS = {"E-1": ELECTRICITY, "G-1": GAS, "Q-1": FIFTEEN}

JAN_15 = int(datetime(2026, 1, 15, tzinfo=UTC).timestamp())


def validate(*rows: RawRow, now: datetime = NOW):
    return readings_validate(rows, meters=METERS, now=now)


def row(meter="E-1", ts="2026-01-15T00:00:00Z", value=0.5, quality=None, line=1, problem=None):
    return RawRow(line, meter, ts, value, quality, problem)


def only_rejection(*rows: RawRow):
    result = validate(*rows)
    assert result.valid == []
    [rejection] = result.rejected
    return rejection


# --- Accepted rows ---------------------------------------------------------------------------


def test_a_valid_row_becomes_a_reading_in_utc():
    result = validate(row(ts="2026-01-15T09:30:00+09:00", value="0.25", quality="estimated"))

    assert result.rejected == []
    assert result.valid == [ValidReading(1, JAN_15 + 1800, 0.25, "estimated")]
    assert result.valid[0].ts == datetime(2026, 1, 15, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0.0), (2, 2.0), ("1e1", 10.0), (" 0.5 ", 0.5), (30.0, 30.0)]
)
def test_numbers_and_numeric_strings_are_accepted_as_floats(value, expected):
    [reading] = validate(row(value=value)).valid

    assert reading.value == expected
    assert isinstance(reading.value, float)


@pytest.mark.parametrize("quality", [None, ""])
def test_quality_defaults_to_measured(quality):
    [reading] = validate(row(quality=quality)).valid

    assert reading.quality == "measured"


@pytest.mark.parametrize(
    "ts",
    ["2026-01-15T00:00:00Z", "2026-01-15T00:00:00+00:00", "2026-01-14T19:00:00-05:00"],
)
def test_the_same_instant_in_any_offset_is_the_same_reading(ts):
    [reading] = validate(row(ts=ts)).valid

    assert reading.epoch == JAN_15


def test_the_grid_is_the_meters_own_interval():
    result = validate(
        row(meter="Q-1", ts="2026-01-15T00:15:00Z", value=1, line=1),
        row(meter="G-1", ts="2026-01-15T01:00:00Z", value=1, line=2),
        row(meter="G-1", ts="2026-01-15T01:30:00Z", value=1, line=3),
    )

    assert [(r.meter_id, r.epoch) for r in result.valid] == [(3, JAN_15 + 900), (2, JAN_15 + 3600)]
    assert [(r.line, r.reason) for r in result.rejected] == [(3, Reason.OFF_GRID)]


def test_a_grid_on_a_half_hour_offset_counts_from_midnight_utc():
    # 00:00 in India is 18:30 UTC: on a 30-minute grid, off a 60-minute one.
    result = validate(
        row(meter="E-1", ts="2026-01-15T00:00:00+05:30", line=1),
        row(meter="G-1", ts="2026-01-15T00:00:00+05:30", line=2),
    )

    assert [r.meter_id for r in result.valid] == [1]
    assert [(r.line, r.reason) for r in result.rejected] == [(2, Reason.OFF_GRID)]


def test_an_interval_that_ended_exactly_now_is_accepted():
    ended = NOW - timedelta(minutes=30)
    running = NOW - timedelta(minutes=0)

    result = validate(row(ts=ended.isoformat(), line=1), row(ts=running.isoformat(), line=2))

    assert [r.ts for r in result.valid] == [ended]
    assert [(r.line, r.reason) for r in result.rejected] == [(2, Reason.FUTURE)]


def test_the_maximum_itself_is_accepted():
    result = validate(row(value=30.0, line=1), row(ts="2026-01-15T00:30:00Z", value=30.01, line=2))

    assert [r.value for r in result.valid] == [30.0]
    assert [(r.line, r.reason) for r in result.rejected] == [(2, Reason.TOO_LARGE)]


def test_rows_keep_their_order_and_the_first_of_a_repeated_interval_wins():
    result = validate(
        row(ts="2026-01-15T01:00:00Z", value=1, line=1),
        row(ts="2026-01-15T00:00:00Z", value=2, line=2),
        row(ts="2026-01-15T01:00:00+00:00", value=3, line=3),
        row(ts="2026-01-15T10:00:00+09:00", value=4, line=4),  # 01:00 UTC again
        row(meter="G-1", ts="2026-01-15T01:00:00Z", value=5, line=5),  # another meter
    )

    assert [r.value for r in result.valid] == [1.0, 2.0, 5.0]
    assert [(r.line, r.reason) for r in result.rejected] == [
        (3, Reason.DUPLICATE_IN_BATCH),
        (4, Reason.DUPLICATE_IN_BATCH),
    ]


def test_an_invalid_row_does_not_hide_a_later_valid_one_for_the_same_interval():
    result = validate(row(value=-1, line=1), row(value=1, line=2))

    assert [r.value for r in result.valid] == [1.0]
    assert [(r.line, r.reason) for r in result.rejected] == [(1, Reason.NEGATIVE)]


# --- Rejected rows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (row(meter="X-9"), Reason.UNKNOWN_METER),
        (row(meter="e-1"), Reason.UNKNOWN_METER),
        (row(ts="2026-01-15T00:10:00Z"), Reason.OFF_GRID),
        (row(ts="2026-01-15T00:00:00.5Z"), Reason.OFF_GRID),
        (row(ts="2026-01-15T00:00:00.000001Z"), Reason.OFF_GRID),
        (row(ts="2026-01-15T00:00:00+00:00:01"), Reason.OFF_GRID),
        (row(ts="2026-02-01T12:00:00Z"), Reason.FUTURE),
        (row(ts="2027-01-15T00:00:00Z"), Reason.FUTURE),
        (row(value=-0.001), Reason.NEGATIVE),
        (row(value="-1"), Reason.NEGATIVE),
        (row(value=float("nan")), Reason.NOT_FINITE),
        (row(value=float("inf")), Reason.NOT_FINITE),
        (row(value="nan"), Reason.NOT_FINITE),
        (row(value="-inf"), Reason.NOT_FINITE),
        (row(value="Infinity"), Reason.NOT_FINITE),
        (row(value=30.000001), Reason.TOO_LARGE),
        (row(value="1e300"), Reason.TOO_LARGE),
        (row(meter="Q-1", value=2.6), Reason.TOO_LARGE),
        (row(problem="missing value"), Reason.MALFORMED),
        (row(meter=None), Reason.MALFORMED),
        (row(meter=""), Reason.MALFORMED),
        (row(meter=7), Reason.MALFORMED),
        (row(ts=None), Reason.MALFORMED),
        (row(ts=1768435200), Reason.MALFORMED),
        (row(ts="2026-01-15T00:00:00"), Reason.MALFORMED),
        (row(ts="2026-01-15"), Reason.MALFORMED),
        (row(ts="15.01.2026 00:00 +0000"), Reason.MALFORMED),
        (row(ts="2026-02-30T00:00:00Z"), Reason.MALFORMED),
        (row(value="zero"), Reason.MALFORMED),
        (row(value=""), Reason.MALFORMED),
        (row(value=None), Reason.MALFORMED),
        (row(value=True), Reason.MALFORMED),
        (row(value=[1]), Reason.MALFORMED),
        (row(value={"kWh": 1}), Reason.MALFORMED),
        (row(quality="Measured"), Reason.MALFORMED),
        (row(quality="actual"), Reason.MALFORMED),
        (row(quality=1), Reason.MALFORMED),
    ],
)
def test_each_bad_row_is_rejected_with_its_reason(raw, reason):
    rejection = only_rejection(raw)

    assert rejection.reason == reason
    assert rejection.line == raw.line
    assert rejection.message


def test_a_rejection_keeps_the_row_as_delivered_and_storable_as_json():
    rejection = only_rejection(row(value=float("nan"), line=7))

    assert rejection.as_dict() == {
        "line": 7,
        "reason": "not_finite",
        "message": "value must be a finite number",
        "row": {"meter": "E-1", "ts": "2026-01-15T00:00:00Z", "value": "nan"},
    }
    json.dumps(rejection.as_dict(), allow_nan=False)


def test_the_problem_found_while_parsing_is_the_message():
    rejection = only_rejection(row(problem="expected 3 fields, found 4"))

    assert rejection.message == "expected 3 fields, found 4"


def test_a_naive_timestamp_is_told_to_add_an_offset():
    rejection = only_rejection(row(ts="2026-01-15T09:00:00"))

    assert "UTC offset" in rejection.message


# --- Properties of validation ----------------------------------------------------------------

offsets = st.integers(min_value=-14 * 4, max_value=14 * 4).map(
    lambda quarters: timezone(timedelta(minutes=15 * quarters))
)
grid_instants = st.integers(min_value=-48 * 400, max_value=48 * 40).map(
    lambda n: datetime(2026, 1, 15, tzinfo=UTC) + timedelta(minutes=15 * n)
)
any_instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
timestamps = st.one_of(
    st.builds(lambda instant, tz: instant.astimezone(tz).isoformat(), grid_instants, offsets),
    st.builds(lambda instant, tz: instant.astimezone(tz).isoformat(), any_instants, offsets),
    st.builds(lambda wall, tz: wall.replace(tzinfo=tz).isoformat(), st.datetimes(), offsets),
    st.datetimes().map(datetime.isoformat),  # naive
    st.text(max_size=30),
    st.none(),
    st.integers(),
)
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=40),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=10),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
raw_rows = st.builds(
    RawRow,
    line=st.just(0),
    meter=st.one_of(st.sampled_from([*METERS, "X-9", ""]), st.text(max_size=8), st.integers()),
    ts=timestamps,
    value=values,
    quality=st.one_of(st.none(), st.sampled_from(["measured", "estimated", "", "bogus"])),
    problem=st.one_of(st.none(), st.none(), st.just("wrong shape")),
    reason=st.none(),
    source_time=st.one_of(st.none(), st.none(), timestamps),
)
# Rows drawn with repetition from a small pool, so repeated intervals are common.
row_lists = (
    st.lists(raw_rows, min_size=1, max_size=12)
    .flatmap(lambda pool: st.lists(st.sampled_from(pool), max_size=30))
    .map(
        lambda rows: [
            RawRow(n, r.meter, r.ts, r.value, r.quality, r.problem, source_time=r.source_time)
            for n, r in enumerate(rows, start=1)
        ]
    )
)
nows = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@given(rows=row_lists, now=nows)
def test_every_row_is_either_valid_or_rejected_exactly_once(rows, now):
    result = readings_validate(rows, meters=METERS, now=now)

    rejected_lines = [rejection.line for rejection in result.rejected]
    assert rejected_lines == sorted(set(rejected_lines))  # in order, each once
    assert len(result.valid) + len(result.rejected) == len(rows)
    # The valid readings are exactly the rows not rejected, in order: each one validates on its
    # own to the same reading.
    kept = [r for r in rows if r.line not in set(rejected_lines)]
    alone = [readings_validate([r], meters=METERS, now=now).valid for r in kept]
    assert alone == [[reading] for reading in result.valid]


@given(rows=row_lists, now=nows)
def test_valid_readings_are_on_the_grid_finite_within_limits_and_ended(rows, now):
    result = readings_validate(rows, meters=METERS, now=now)

    rules_by_id = {rules.id: rules for rules in METERS.values()}
    for reading in result.valid:
        rules = rules_by_id[reading.meter_id]
        assert reading.epoch % (rules.interval_minutes * 60) == 0
        assert math.isfinite(reading.value)
        assert 0 <= reading.value <= rules.max_value
        assert reading.ts + timedelta(minutes=rules.interval_minutes) <= now
        assert reading.ts.tzinfo is UTC
        assert reading.quality in QUALITIES
        if reading.source_us is not None:  # produced after the interval began, not ahead of us
            assert reading.epoch * 10**6 <= reading.source_us
            assert reading.source_us <= microseconds(now) + SOURCE_CLOCK_AHEAD_S * 10**6
    keys = [(reading.meter_id, reading.epoch) for reading in result.valid]
    assert len(keys) == len(set(keys))


grid_wall_times = st.builds(
    lambda day, quarter: datetime.combine(day, time()) + timedelta(minutes=15 * quarter),
    st.dates(),
    st.integers(min_value=0, max_value=95),
)


@given(wall=grid_wall_times, tz=offsets, meter=st.sampled_from(list(METERS)))
@example(wall=datetime(1, 1, 1), tz=timezone(timedelta(hours=1)), meter="E-1")
@example(wall=datetime(1, 1, 1, 12), tz=UTC, meter="G-1")
def test_a_reading_at_any_date_is_accepted_only_if_every_local_day_can_hold_it(wall, tz, meter):
    ts = wall.replace(tzinfo=tz).isoformat()

    result = validate(row(meter=meter, ts=ts))

    for reading in result.valid:
        for zone in ("Pacific/Kiritimati", "Asia/Tokyo", "Europe/London", "America/New_York"):
            assert reading.ts.astimezone(ZoneInfo(zone)).date()
    assert len(result.valid) + len(result.rejected) == 1


@given(rows=row_lists, now=nows)
def test_every_rejection_has_a_reason_and_can_be_stored_as_json(rows, now):
    result = readings_validate(rows, meters=METERS, now=now)

    for rejection in result.rejected:
        assert rejection.reason in set(Reason)
        assert rejection.message
        json.dumps(rejection.as_dict(), allow_nan=False)


# --- Parsing ---------------------------------------------------------------------------------


def rows_of(text: str, fmt: str, max_rows: int = 100) -> list[RawRow]:
    count = payload_check(text=text, fmt=fmt, max_rows=max_rows)
    rows = list(parse_rows(text=text, fmt=fmt))
    assert len(rows) == count
    return rows


def test_json_rows_are_numbered_from_one_and_keep_their_types():
    text = orjson.dumps(
        {"readings": [{"meter": "E-1", "ts": "t", "value": 1.5, "quality": "estimated"}, [1]]}
    ).decode()

    assert rows_of(text, BatchFormat.JSON) == [
        RawRow(1, "E-1", "t", 1.5, "estimated"),
        RawRow(2, None, None, None, problem="each reading must be a JSON object"),
    ]


def test_a_json_row_missing_fields_says_which():
    [parsed] = rows_of('{"readings": [{"ts": "t"}]}', BatchFormat.JSON)

    assert parsed.problem == "missing meter, value"


def test_csv_rows_are_numbered_by_line():
    text = "meter,ts,value,quality\nE-1,t,1.5,estimated\n\nE-1,t2,2\n"

    assert rows_of(text, BatchFormat.CSV) == [
        RawRow(2, "E-1", "t", "1.5", "estimated"),
        RawRow(4, None, None, None, problem="expected 4 fields, found 3"),
    ]


@pytest.mark.parametrize(
    ("text", "fmt", "error"),
    [
        ("{", BatchFormat.JSON, ValidationFailed),
        ("[]", BatchFormat.JSON, ValidationFailed),
        ('{"readings": []}', BatchFormat.JSON, ValidationFailed),
        ('{"readings": [1, 2, 3, 4]}', BatchFormat.JSON, PayloadTooLarge),
        ("", BatchFormat.CSV, ValidationFailed),
        ("meter,ts\n", BatchFormat.CSV, ValidationFailed),
        ('meter,ts,value\n"E-1,t,1\n', BatchFormat.CSV, ValidationFailed),
        ("meter,ts,value\n1\n2\n3\n4\n", BatchFormat.CSV, PayloadTooLarge),
    ],
)
def test_bodies_that_cannot_be_accepted_as_a_whole(text, fmt, error):
    with pytest.raises(error):
        payload_check(text=text, fmt=fmt, max_rows=3)


def test_a_body_must_be_utf8_without_nul_bytes():
    assert decode_body("\ufeffmeter,ts,value\n".encode()) == "meter,ts,value\n"
    with pytest.raises(ValidationFailed) as not_utf8:
        decode_body(b"meter,\xff")
    assert not_utf8.value.details == {"offset": 6}
    with pytest.raises(ValidationFailed) as nul:
        decode_body(b"meter\x00")
    assert nul.value.details == {"offset": 5}


def csv_text(header: list[str], records: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(records)
    return out.getvalue()


csv_fields = st.text(st.characters(exclude_characters="\x00"), max_size=12)
csv_like = st.builds(
    csv_text,
    st.builds(
        lambda columns, with_quality: [c for c in columns if with_quality or c != "quality"],
        st.permutations(["meter", "ts", "value", "quality"]),
        st.booleans(),
    ),
    st.lists(st.lists(csv_fields, min_size=0, max_size=5), max_size=8),
)
json_like = st.builds(
    lambda readings: orjson.dumps({"readings": readings}).decode(),
    st.lists(
        st.one_of(
            st.dictionaries(
                st.sampled_from(["meter", "ts", "value", "quality", "x"]),
                st.one_of(
                    st.text(max_size=8),
                    st.integers(min_value=-(2**63), max_value=2**63 - 1),
                    st.floats(allow_nan=False),
                ),
            ),
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
            st.none(),
        ),
        max_size=8,
    ),
)
bodies = st.one_of(
    st.text(),
    st.text(alphabet=',"\n\r\t meterstvaluquiy{}[]:0123456789'),
    csv_like,
    json_like,
    st.builds(lambda head, tail: head + tail, csv_like | json_like, st.text(max_size=5)),
)


@settings(max_examples=300)
@given(text=bodies, fmt=st.sampled_from(list(BatchFormat)), max_rows=st.integers(1, 10))
def test_parsing_any_text_gives_rows_or_a_domain_error(text, fmt, max_rows):
    try:
        count = payload_check(text=text, fmt=fmt, max_rows=max_rows)
    except (ValidationFailed, PayloadTooLarge) as error:
        assert error.message
        return
    rows = list(parse_rows(text=text, fmt=fmt))
    assert 1 <= count == len(rows) <= max_rows
    assert all(isinstance(r, RawRow) for r in rows)
    lines = [r.line for r in rows]
    assert lines == sorted(set(lines))


@settings(max_examples=200)
@given(
    body=st.binary() | bodies.map(lambda text: text.encode(errors="surrogatepass")),
    fmt=st.sampled_from(list(BatchFormat)),
)
def test_decoding_and_parsing_any_bytes_gives_rows_or_a_domain_error(body, fmt):
    try:
        text = decode_body(body)
        payload_check(text=text, fmt=fmt, max_rows=10)
    except (ValidationFailed, PayloadTooLarge):
        return
    assert "\x00" not in text
    for parsed in parse_rows(text=text, fmt=fmt):
        assert "\x00" not in json.dumps(parsed.as_dict(), ensure_ascii=False)


@given(
    records=st.lists(
        st.tuples(
            st.text(st.characters(exclude_characters="\x00\r\n"), min_size=1, max_size=10),
            st.text(st.characters(exclude_characters="\x00"), max_size=25),
            st.text(st.characters(exclude_characters="\x00"), max_size=10),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_csv_written_by_a_csv_writer_reads_back_field_for_field(records):
    text = csv_text(["meter", "ts", "value"], [list(record) for record in records])

    rows = rows_of(text, BatchFormat.CSV)

    assert [(r.meter, r.ts, r.value) for r in rows] == records


@given(
    readings=st.lists(
        st.fixed_dictionaries(
            {
                "meter": st.text(max_size=10),
                "ts": st.text(max_size=25),
                "value": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.text()),
            },
            optional={"quality": st.sampled_from(list(QUALITIES))},
        ),
        min_size=1,
        max_size=10,
    )
)
def test_json_rows_read_back_value_for_value(readings):
    text = orjson.dumps({"readings": readings}).decode()

    rows = rows_of(text, BatchFormat.JSON)

    assert [r.as_dict() for r in rows if r.problem is None] == [
        {"quality": None, **reading}
        for reading in readings
        if "\x00" not in "".join(str(v) for v in reading.values())
    ]
