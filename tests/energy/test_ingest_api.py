"""``POST /api/v1/ingest/readings/`` and ``GET /api/v1/ingest/batches/<id>/``, end to end.

Processing runs in-process when the request's transaction commits, so every post is wrapped in
``django_capture_on_commit_callbacks(execute=True)``; the batch's ``Location`` then shows the
outcome.
"""

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from energy.access import BUSINESS_STAFF, DATA_TEAM, METER_GATEWAYS
from energy.models import IngestBatch, Reading, ReadingRevision
from tests import factories

URL = "/api/v1/ingest/readings/"
TS = "2026-01-15T00:00:00+09:00"  # 2026-01-14 15:00 UTC
TS2 = "2026-01-15T00:30:00+09:00"
TS3 = "2026-01-15T01:00:00+09:00"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def json_body(*readings: dict) -> bytes:
    return orjson.dumps({"readings": list(readings)})


@pytest.fixture
def post(gateway_client, django_capture_on_commit_callbacks):
    """Post a body and run the processing its transaction queued."""

    def send(body, content_type="application/json", *, client=None, idempotency_key=None):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or gateway_client).post(
                URL, body, content_type=content_type, headers=headers
            )

    return send


@pytest.fixture
def batch_of(gateway_client):
    """The batch a 202 response points to, as its owner sees it."""

    def fetch(response, *, client=None) -> dict:
        assert response.status_code == 202, response.content
        detail = (client or gateway_client).get(response["Location"])
        assert detail.status_code == 200, detail.content
        return detail.json()

    return fetch


def stored(meter) -> list[tuple[datetime, float, str]]:
    return list(
        Reading.objects.filter(meter=meter).order_by("ts").values_list("ts", "value", "quality")
    )


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def assert_nothing_stored() -> None:
    assert not IngestBatch.objects.exists()
    assert not Reading.objects.exists()


# --- Accepted bodies -------------------------------------------------------------------------


def test_json_readings_are_stored_with_their_quality(post, batch_of, electricity_meter):
    response = post(
        json_body(
            {"meter": "E-0001", "ts": TS, "value": 0.5, "quality": "measured"},
            {"meter": "E-0001", "ts": TS2, "value": 1.25, "quality": "estimated"},
            {"meter": "E-0001", "ts": "2026-01-14T16:00:00Z", "value": 2},
        )
    )

    batch = batch_of(response)
    assert batch["status"] == "done"
    assert batch["format"] == "json"
    assert batch["row_count"] == 3
    assert batch["counts"] == {
        "accepted": 3,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    assert batch["rejected_rows"] == []
    assert stored(electricity_meter) == [
        (utc(2026, 1, 14, 15, 0), 0.5, "measured"),
        (utc(2026, 1, 14, 15, 30), 1.25, "estimated"),
        (utc(2026, 1, 14, 16, 0), 2.0, "measured"),
    ]


def test_the_response_already_describes_the_batch(post, electricity_meter):
    response = post(json_body({"meter": "E-0001", "ts": TS, "value": 0.5}))

    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"/api/v1/ingest/batches/{body['id']}/")
    assert "Idempotent-Replayed" not in response


def test_csv_readings_are_stored(post, batch_of, electricity_meter):
    body = f"meter,ts,value\nE-0001,{TS},0.5\nE-0001,{TS2},0.75\n"

    batch = batch_of(post(body, "text/csv"))

    assert batch["format"] == "csv"
    assert batch["counts"] == {
        "accepted": 2,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    assert stored(electricity_meter) == [
        (utc(2026, 1, 14, 15, 0), 0.5, "measured"),
        (utc(2026, 1, 14, 15, 30), 0.75, "measured"),
    ]


def test_csv_quality_column_is_optional_per_row(post, batch_of, electricity_meter):
    body = f"meter,ts,value,quality\r\nE-0001,{TS},0.5,estimated\r\nE-0001,{TS2},0.75,\r\n"

    batch = batch_of(post(body, "text/csv; charset=utf-8"))

    assert batch["counts"]["accepted"] == 2
    assert stored(electricity_meter) == [
        (utc(2026, 1, 14, 15, 0), 0.5, "estimated"),
        (utc(2026, 1, 14, 15, 30), 0.75, "measured"),
    ]


@pytest.mark.parametrize(
    "header",
    ["meter,ts,value", "ts,meter,value", "value,ts,meter", "meter,value,ts", "METER, Ts ,Value"],
)
def test_csv_columns_are_matched_by_header_name(post, batch_of, electricity_meter, header):
    fields = {"meter": "E-0001", "ts": TS, "value": "0.5"}
    columns = [column.strip().lower() for column in header.split(",")]
    body = f"{header}\n{','.join(fields[column] for column in columns)}\n"

    batch = batch_of(post(body, "text/csv"))

    assert batch["counts"]["accepted"] == 1, batch["rejected_rows"]
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]


def test_a_byte_order_mark_and_blank_lines_are_ignored(post, batch_of, electricity_meter):
    body = f"\ufeffmeter,ts,value\n\nE-0001,{TS},0.5\n\n".encode()

    batch = batch_of(post(body, "text/csv"))

    assert batch["row_count"] == 1
    assert batch["counts"]["accepted"] == 1


# --- Rejected rows ---------------------------------------------------------------------------

GOOD_JSON = {"meter": "E-0001", "ts": TS, "value": 0.5}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"meter": "NO-SUCH-METER", "ts": TS2, "value": 0.5}, "unknown_meter"),
        ({"meter": "E-0001", "ts": "2026-01-15T00:10:00+09:00", "value": 0.5}, "off_grid"),
        ({"meter": "E-0001", "ts": "2026-01-14T15:30:01Z", "value": 0.5}, "off_grid"),
        ({"meter": "E-0001", "ts": TS2, "value": -0.1}, "negative"),
        ({"meter": "E-0001", "ts": TS2, "value": 30.5}, "too_large"),  # default 60 kWh/h
        ({"meter": "E-0001", "ts": TS2, "value": "not a number"}, "malformed"),
        ({"meter": "E-0001", "ts": TS2, "value": True}, "malformed"),
        ({"meter": "E-0001", "ts": TS2, "value": None}, "malformed"),
        ({"meter": "E-0001", "ts": TS2, "value": [0.5]}, "malformed"),
        ({"meter": "E-0001", "ts": "yesterday", "value": 0.5}, "malformed"),
        ({"meter": "E-0001", "ts": "2026-01-15T00:30:00", "value": 0.5}, "malformed"),
        ({"meter": "E-0001", "ts": 1768404600, "value": 0.5}, "malformed"),
        ({"meter": "E-0001", "ts": TS2, "value": 0.5, "quality": "guessed"}, "malformed"),
        ({"meter": "E-0001", "ts": TS2}, "malformed"),
        ({"meter": 1, "ts": TS2, "value": 0.5}, "malformed"),
        ({"meter": "", "ts": TS2, "value": 0.5}, "malformed"),
        ("E-0001,2026-01-15T00:30:00+09:00,0.5", "malformed"),
        ({"meter": "E-0001", "ts": TS, "value": 0.7}, "duplicate_in_batch"),
    ],
)
def test_json_rejected_row_is_reported_with_line_and_reason(
    post, batch_of, electricity_meter, bad, reason
):
    batch = batch_of(post(json_body(GOOD_JSON, bad)))

    assert batch["status"] == "done"
    assert batch["counts"] == {
        "accepted": 1,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 1,
    }
    [rejected] = batch["rejected_rows"]
    assert rejected["line"] == 2
    assert rejected["reason"] == reason
    assert rejected["message"]
    if isinstance(bad, dict):
        assert rejected["row"]["meter"] == bad["meter"]
    # The good row is stored, and only with its own value.
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]


def test_a_reading_whose_interval_has_not_ended_is_rejected_as_future(
    post, batch_of, electricity_meter
):
    now = timezone.now()
    current = now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)
    last_ended = current - timedelta(minutes=30)
    body = json_body(
        {"meter": "E-0001", "ts": last_ended.isoformat(), "value": 0.5},
        {"meter": "E-0001", "ts": current.isoformat(), "value": 0.5},
        {"meter": "E-0001", "ts": (current + timedelta(days=1)).isoformat(), "value": 0.5},
    )

    batch = batch_of(post(body))

    assert [(row["line"], row["reason"]) for row in batch["rejected_rows"]] == [
        (2, "future"),
        (3, "future"),
    ]
    assert stored(electricity_meter) == [(last_ended, 0.5, "measured")]


def test_the_meters_own_maximum_replaces_the_default(post, batch_of):
    factories.MeterFactory(serial="E-SMALL", max_value_per_interval=2.0)
    body = json_body(
        {"meter": "E-SMALL", "ts": TS, "value": 2.0},
        {"meter": "E-SMALL", "ts": TS2, "value": 2.5},
    )

    batch = batch_of(post(body))

    assert batch["counts"]["accepted"] == 1
    assert [(row["line"], row["reason"]) for row in batch["rejected_rows"]] == [(2, "too_large")]


def test_the_default_maximum_scales_with_interval_and_commodity(
    post, batch_of, electricity_meter, gas_meter, settings
):
    settings.INGEST_MAX_VALUE_PER_HOUR = {"electricity": 10.0, "gas": 4.0}
    body = json_body(
        {"meter": "E-0001", "ts": TS, "value": 5.0},  # 30-minute meter: 5 kWh allowed
        {"meter": "E-0001", "ts": TS2, "value": 5.01},
        {"meter": "G-0001", "ts": TS, "value": 4.0},  # 60-minute gas meter: 4 m3 allowed
        {"meter": "G-0001", "ts": TS3, "value": 4.01},
    )

    batch = batch_of(post(body))

    assert batch["counts"]["accepted"] == 2
    assert [(row["line"], row["reason"]) for row in batch["rejected_rows"]] == [
        (2, "too_large"),
        (4, "too_large"),
    ]


@pytest.mark.parametrize(
    ("header", "bad", "reason"),
    [
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,nan", "not_finite"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,NaN", "not_finite"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,inf", "not_finite"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,-Infinity", "not_finite"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,1e999", "not_finite"),
        ("meter,ts,value", "E-0002,2026-01-15T00:30:00+09:00,0.5", "unknown_meter"),
        ("meter,ts,value", "E-0001,2026-01-15T00:45:00+09:00,0.5", "off_grid"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,-0.5", "negative"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,31", "too_large"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,0,5", "malformed"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00", "malformed"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,", "malformed"),
        ("meter,ts,value", "E-0001,2026-01-15T00:30:00+09:00,0.5 kWh", "malformed"),
        ("meter,ts,value", "E-0001,2026-01-15 00:30,0.5", "malformed"),
        ("meter,ts,value", "E-0001,15/01/2026 00:30+09:00,0.5", "malformed"),
        ("meter,ts,value,quality", "E-0001,2026-01-15T00:30:00+09:00,0.5,good", "malformed"),
        ("meter,ts,value", f"E-0001,{TS},0.5", "duplicate_in_batch"),
    ],
)
def test_csv_rejected_row_is_reported_with_line_and_reason(
    post, batch_of, electricity_meter, header, bad, reason
):
    good = f"E-0001,{TS},0.5" + (",measured" if header.endswith("quality") else "")
    body = f"{header}\n{good}\n{bad}\n"

    batch = batch_of(post(body, "text/csv"))

    assert batch["counts"] == {
        "accepted": 1,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 1,
    }
    [rejected] = batch["rejected_rows"]
    assert (rejected["line"], rejected["reason"]) == (3, reason)  # the header is line 1
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]


def test_a_not_finite_value_is_kept_as_delivered(post, batch_of, electricity_meter):
    body = f"meter,ts,value\nE-0001,{TS},nan\n"

    batch = batch_of(post(body, "text/csv"))

    assert batch["rejected_rows"] == [
        {
            "line": 2,
            "reason": "not_finite",
            "message": "value must be a finite number",
            "row": {"meter": "E-0001", "ts": TS, "value": "nan"},
        }
    ]
    assert not Reading.objects.exists()


def test_csv_line_numbers_count_blank_and_quoted_lines(post, batch_of, electricity_meter):
    body = f'meter,ts,value\n\nE-0001,{TS},0.5\n"E-0001\n",{TS2},0.5\nE-0001,{TS3},-1\n'

    batch = batch_of(post(body, "text/csv"))

    assert [(row["line"], row["reason"]) for row in batch["rejected_rows"]] == [
        (5, "unknown_meter"),  # a quoted field spanning lines 4-5
        (6, "negative"),
    ]


def test_a_batch_with_some_bad_rows_stores_all_good_rows(post, batch_of, electricity_meter):
    rows = [
        {"meter": "E-0001", "ts": f"2026-01-15T{h:02d}:00:00+09:00", "value": h} for h in range(6)
    ]
    rows[1]["value"] = -1
    rows[3]["meter"] = "E-9999"
    rows.append({"meter": "E-0001", "ts": rows[4]["ts"], "value": 9})

    batch = batch_of(post(json_body(*rows)))

    assert batch["counts"] == {
        "accepted": 4,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 3,
    }
    assert [(row["line"], row["reason"]) for row in batch["rejected_rows"]] == [
        (2, "negative"),
        (4, "unknown_meter"),
        (7, "duplicate_in_batch"),
    ]
    assert [value for _, value, _ in stored(electricity_meter)] == [0.0, 2.0, 4.0, 5.0]


def test_only_the_first_rejected_rows_are_kept_but_all_are_counted(
    post, batch_of, electricity_meter, settings
):
    settings.INGEST_REJECTED_ROWS_KEPT = 2
    rows = [{"meter": "E-0001", "ts": TS, "value": -n} for n in range(1, 5)]

    batch = batch_of(post(json_body(*rows)))

    assert batch["counts"]["rejected"] == 4
    assert [row["line"] for row in batch["rejected_rows"]] == [1, 2]


@pytest.mark.parametrize(
    "bad",
    [
        {"meter": "E-0001\u0000", "ts": TS2, "value": 0.5},
        {"meter": "E-0001", "ts": TS2 + "\u0000", "value": 0.5},
        {"meter": "E-0001", "ts": TS2, "value": {"kWh": ["\u0000"]}},
    ],
)
def test_a_nul_character_in_a_row_rejects_only_that_row(post, batch_of, electricity_meter, bad):
    batch = batch_of(post(json_body(GOOD_JSON, bad)))

    assert batch["status"] == "done"
    [rejected] = batch["rejected_rows"]
    assert (rejected["line"], rejected["reason"]) == (2, "malformed")
    assert "NUL" in rejected["message"]
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]


def test_a_reading_from_before_1970_is_rejected_without_failing_the_batch(
    post, batch_of, electricity_meter
):
    body = json_body(GOOD_JSON, {"meter": "E-0001", "ts": "0001-01-01T00:00:00+01:00", "value": 1})

    batch = batch_of(post(body))

    assert batch["status"] == "done"
    assert [(row["line"], row["reason"]) for row in batch["rejected_rows"]] == [(2, "malformed")]
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]


# --- Re-delivery and corrections -------------------------------------------------------------


def test_posting_the_same_readings_again_counts_duplicates_and_changes_nothing(
    post, batch_of, electricity_meter
):
    body = json_body(
        {"meter": "E-0001", "ts": TS, "value": 0.5},
        {"meter": "E-0001", "ts": TS2, "value": 0.1, "quality": "estimated"},
    )
    first = batch_of(post(body))
    before = stored(electricity_meter)

    again = batch_of(post(body))

    assert again["id"] != first["id"]
    assert again["counts"] == {
        "accepted": 0,
        "duplicate": 2,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    assert stored(electricity_meter) == before
    assert not ReadingRevision.objects.exists()


def test_a_changed_value_is_a_correction_that_keeps_the_old_value(
    post, batch_of, electricity_meter
):
    batch_of(
        post(
            json_body(
                {"meter": "E-0001", "ts": TS, "value": 0.5, "quality": "estimated"},
                {"meter": "E-0001", "ts": TS2, "value": 0.7},
            )
        )
    )

    correction = batch_of(
        post(
            json_body(
                {"meter": "E-0001", "ts": TS, "value": 0.55, "quality": "measured"},
                {"meter": "E-0001", "ts": TS2, "value": 0.7},
                {"meter": "E-0001", "ts": TS3, "value": 0.9},
            )
        )
    )

    assert correction["counts"] == {
        "accepted": 1,
        "duplicate": 1,
        "corrected": 1,
        "stale": 0,
        "rejected": 0,
    }
    assert stored(electricity_meter) == [
        (utc(2026, 1, 14, 15, 0), 0.55, "measured"),
        (utc(2026, 1, 14, 15, 30), 0.7, "measured"),
        (utc(2026, 1, 14, 16, 0), 0.9, "measured"),
    ]
    [revision] = ReadingRevision.objects.all()
    assert (revision.meter, revision.ts, revision.value, revision.quality) == (
        electricity_meter,
        utc(2026, 1, 14, 15, 0),
        0.5,
        "estimated",
    )
    assert str(revision.batch_id) == correction["id"]


def test_a_changed_quality_alone_is_a_correction(post, batch_of, electricity_meter):
    batch_of(post(json_body({"meter": "E-0001", "ts": TS, "value": 0.5, "quality": "estimated"})))

    correction = batch_of(post(json_body({"meter": "E-0001", "ts": TS, "value": 0.5})))

    assert correction["counts"]["corrected"] == 1
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]
    assert list(ReadingRevision.objects.values_list("value", "quality")) == [(0.5, "estimated")]


def test_each_correction_keeps_its_own_revision(post, batch_of, electricity_meter):
    for value in (0.5, 0.6, 0.7):
        batch_of(post(json_body({"meter": "E-0001", "ts": TS, "value": value})))

    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.7, "measured")]
    assert sorted(ReadingRevision.objects.values_list("value", flat=True)) == [0.5, 0.6]


# --- Idempotency-Key -------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_batch(post, batch_of, electricity_meter):
    body = json_body({"meter": "E-0001", "ts": TS, "value": 0.5})
    first = post(body, idempotency_key="gw-7-0001")
    first_batch = batch_of(first)

    replay = post(body, idempotency_key="gw-7-0001")

    assert replay.status_code == 202
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert replay.json()["id"] == first_batch["id"]
    assert replay["Location"] == first["Location"]
    assert batch_of(replay)["counts"] == first_batch["counts"]
    assert IngestBatch.objects.count() == 1
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]


def test_the_same_idempotency_key_with_another_body_is_refused(post, batch_of, electricity_meter):
    first = batch_of(
        post(json_body({"meter": "E-0001", "ts": TS, "value": 0.5}), idempotency_key="k1")
    )

    response = post(json_body({"meter": "E-0001", "ts": TS, "value": 0.9}), idempotency_key="k1")

    body = assert_error(response, 422, "idempotency_key_reused")
    assert body["details"] == {"batch": first["id"]}
    assert IngestBatch.objects.count() == 1
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15, 0), 0.5, "measured")]


def test_an_overlong_idempotency_key_is_refused_and_nothing_stored(post, electricity_meter):
    response = post(
        json_body({"meter": "E-0001", "ts": TS, "value": 0.5}), idempotency_key="k" * 256
    )

    assert_error(response, 400, "invalid_idempotency_key")
    assert IngestBatch.objects.count() == 0
    assert stored(electricity_meter) == []


def test_idempotency_keys_belong_to_one_client(
    post, batch_of, electricity_meter, session_client_for
):
    other = session_client_for(factories.UserFactory(groups=[METER_GATEWAYS]))
    body = json_body({"meter": "E-0001", "ts": TS, "value": 0.5})

    mine = post(body, idempotency_key="shared")
    theirs = post(body, client=other, idempotency_key="shared")

    assert theirs.status_code == 202
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != mine.json()["id"]
    assert batch_of(theirs, client=other)["counts"]["duplicate"] == 1


def test_without_an_idempotency_key_every_post_is_a_new_batch(post, electricity_meter):
    body = json_body({"meter": "E-0001", "ts": TS, "value": 0.5})

    ids = {post(body).json()["id"] for _ in range(2)}

    assert len(ids) == 2


# --- Authentication and permission -----------------------------------------------------------


def test_without_a_token_the_request_is_unauthenticated(post, electricity_meter):
    response = post(json_body(GOOD_JSON), client=APIClient())

    assert_error(response, 401, "not_authenticated")
    assert_nothing_stored()


def test_an_unknown_key_is_unauthenticated(post, electricity_meter):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer shoene_0123456789ab_not-a-key-we-gave-out")

    response = post(json_body(GOOD_JSON), client=client)

    assert_error(response, 401, "authentication_failed")
    assert_nothing_stored()


@pytest.mark.parametrize("groups", [[], [DATA_TEAM]])
def test_a_user_outside_meter_gateways_may_not_post(
    post, electricity_meter, session_client_for, groups
):
    client = session_client_for(factories.UserFactory(groups=groups))

    response = post(json_body(GOOD_JSON), client=client)

    assert_error(response, 403, "permission_denied")
    assert_nothing_stored()


def test_a_client_sees_only_its_own_batches(post, batch_of, electricity_meter, session_client_for):
    mine = batch_of(post(json_body(GOOD_JSON)))
    other = session_client_for(factories.UserFactory(groups=[METER_GATEWAYS]))

    response = other.get(mine["url"])

    assert_error(response, 404, "not_found")


def test_the_data_team_may_see_any_batch(post, batch_of, electricity_meter, session_client_for):
    mine = batch_of(post(json_body(GOOD_JSON)))
    data_team = session_client_for(factories.UserFactory(groups=[DATA_TEAM]))

    response = data_team.get(mine["url"])

    assert response.status_code == 200
    assert response.json()["counts"]["accepted"] == 1


def test_business_staff_do_not_see_gateways_batches(
    post, batch_of, electricity_meter, session_client_for
):
    mine = batch_of(post(json_body(GOOD_JSON)))
    staff = session_client_for(factories.UserFactory(is_staff=True, groups=[BUSINESS_STAFF]))

    response = staff.get(mine["url"])

    assert_error(response, 404, "not_found")


def test_an_unknown_batch_is_not_found(gateway_client):
    response = gateway_client.get("/api/v1/ingest/batches/00000000-0000-0000-0000-000000000000/")

    assert_error(response, 404, "not_found")


def test_batches_are_not_shown_without_a_token(post, batch_of, electricity_meter):
    mine = batch_of(post(json_body(GOOD_JSON)))

    assert_error(APIClient().get(mine["url"]), 401, "not_authenticated")


# --- Bodies refused as a whole ---------------------------------------------------------------


def test_invalid_json_is_refused_with_line_and_column(post, electricity_meter):
    response = post(b'{"readings": [\n  {"meter": "E-0001", "ts": }\n]}')

    body = assert_error(response, 400, "unparseable")
    assert body["details"] == {"line": 2, "column": 29}
    assert "line 2 column 29" in body["message"]
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (
            b'[{"meter": "E-0001", "ts": "2026-01-15T00:00:00+09:00", "value": 1}]',
            "json",
            "unparseable",
        ),
        (b'{"rows": []}', "json", "unparseable"),
        (b'{"readings": {"meter": "E-0001"}}', "json", "unparseable"),
        (b'"readings"', "json", "unparseable"),
        (b"", "json", "unparseable"),
        (b'{"readings": []}', "json", "empty"),
        (b"meter;ts;value\nE-0001;2026-01-15T00:00:00+09:00;1\n", "csv", "unparseable"),
        (b"meter,time,value\nE-0001,2026-01-15T00:00:00+09:00,1\n", "csv", "unparseable"),
        (b"meter,ts,value,ts\nE-0001,2026-01-15T00:00:00+09:00,1,x\n", "csv", "unparseable"),
        (b"meter,ts,value,unit\nE-0001,2026-01-15T00:00:00+09:00,1,kWh\n", "csv", "unparseable"),
        (b'meter,ts,value\nE-0001,"2026-01-15T00:00:00+09:00,1\n', "csv", "unparseable"),
        (b"", "csv", "empty"),
        (b"meter,ts,value\n\n", "csv", "empty"),
        (b"meter,ts,value\nE-0001,\xff\xfe,1\n", "csv", "unparseable"),
        (b"meter,ts,value\nE-0001,2026-01-15T00:00:00+09:00,1\x00\n", "csv", "unparseable"),
    ],
    ids=[
        "json-array",
        "json-no-readings",
        "json-readings-not-array",
        "json-string",
        "json-empty-body",
        "json-no-rows",
        "csv-semicolons",
        "csv-missing-column",
        "csv-repeated-column",
        "csv-unknown-column",
        "csv-unterminated-quote",
        "csv-empty-body",
        "csv-header-only",
        "csv-not-utf8",
        "csv-nul-byte",
    ],
)
def test_an_unreadable_body_is_refused_and_nothing_is_stored(
    post, electricity_meter, body, content_type, code
):
    response = post(body, "application/json" if content_type == "json" else "text/csv")

    assert_error(response, 400, code)
    assert_nothing_stored()


def test_a_bad_csv_header_names_what_is_missing(post, electricity_meter):
    response = post("meter,time,value\nE-0001,2026-01-15T00:00:00+09:00,1\n", "text/csv")

    body = assert_error(response, 400, "unparseable")
    assert "missing: ts" in body["message"]
    assert "unknown: time" in body["message"]
    assert body["details"]["line"] == 1


def test_an_unterminated_quote_names_its_line(post, electricity_meter):
    body = f'meter,ts,value\nE-0001,{TS},0.5\nE-0001,"{TS2},0.5\n'

    response = post(body, "text/csv")

    assert assert_error(response, 400, "unparseable")["details"] == {"line": 3}
    assert_nothing_stored()


@pytest.mark.parametrize("content_type", ["json", "csv"])
def test_more_rows_than_allowed_is_too_large(post, electricity_meter, settings, content_type):
    settings.INGEST_MAX_ROWS = 2
    timestamps = [TS, TS2, TS3]
    if content_type == "json":
        body = json_body(*({"meter": "E-0001", "ts": ts, "value": 0.5} for ts in timestamps))
        media_type = "application/json"
    else:
        body = "meter,ts,value\n" + "".join(f"E-0001,{ts},0.5\n" for ts in timestamps)
        media_type = "text/csv"

    response = post(body, media_type)

    assert assert_error(response, 413, "payload_too_large")["details"] == {
        "rows": 3,
        "max_rows": 2,
    }
    assert_nothing_stored()


def test_exactly_the_allowed_rows_are_accepted(post, batch_of, electricity_meter, settings):
    settings.INGEST_MAX_ROWS = 2

    batch = batch_of(post(f"meter,ts,value\nE-0001,{TS},0.5\n\nE-0001,{TS2},0.5\n\n", "text/csv"))

    assert batch["counts"]["accepted"] == 2


def test_a_body_over_the_byte_limit_is_too_large(post, batch_of, electricity_meter, settings):
    body = json_body(GOOD_JSON)
    settings.INGEST_MAX_BODY_BYTES = len(body) - 1

    response = post(body)

    assert_error(response, 413, "payload_too_large")
    assert_nothing_stored()

    settings.INGEST_MAX_BODY_BYTES = len(body)
    assert batch_of(post(body))["counts"]["accepted"] == 1


def test_a_body_over_djangos_upload_limit_is_too_large(post, electricity_meter, settings):
    body = json_body(GOOD_JSON)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1

    response = post(body)

    assert_error(response, 413, "payload_too_large")
    assert_nothing_stored()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-ndjson", "text/json"]
)
def test_an_unsupported_content_type_is_refused(post, electricity_meter, content_type):
    response = post(json_body(GOOD_JSON), content_type)

    body = assert_error(response, 415, "unsupported_media_type")
    assert content_type in body["message"]
    assert_nothing_stored()


def test_a_form_upload_is_an_unsupported_content_type(gateway_client, electricity_meter):
    response = gateway_client.post(URL, {"readings": "E-0001"})  # multipart/form-data

    assert_error(response, 415, "unsupported_media_type")
    assert_nothing_stored()


def test_readings_before_the_meter_was_installed_are_rejected_with_their_own_reason(
    electricity_meter, post, batch_of
):
    """A meter installed on 15 January (Tokyo) cannot have read 14 January: such a row would
    make a one-interval day before the meter existed."""
    electricity_meter.installed_on = datetime(2026, 1, 15).date()
    electricity_meter.save()
    before = "2026-01-14T23:30:00+09:00"

    batch = batch_of(
        post(
            json_body(
                {"meter": "E-0001", "ts": before, "value": 0.5},
                {"meter": "E-0001", "ts": TS, "value": 0.75},  # local midnight of the 15th
            )
        )
    )

    assert batch["counts"]["accepted"] == 1
    assert [(row["line"], row["reason"]) for row in batch["rejected_rows"]] == [
        (1, "before_installation")
    ]
    assert "installed (on 2026-01-15)" in batch["rejected_rows"][0]["message"]
    assert stored(electricity_meter) == [(utc(2026, 1, 14, 15), 0.75, "measured")]
