"""List cursors are opaque, cannot be forged or edited, belong to one query, and expire."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from cryptography import fernet

from energy.apikeys.models import ApiScope
from energy.models import Reading
from tests import factories

START = datetime(2026, 1, 1, 15, tzinfo=UTC)


@pytest.fixture
def export(api_client_for):
    return api_client_for(ApiScope.EXPORT)


@pytest.fixture
def meters(db):
    made = [factories.MeterFactory(serial=f"E-CUR-{n}") for n in range(3)]
    for meter in made:
        Reading.objects.bulk_create(
            Reading(meter=meter, ts=START + timedelta(minutes=30 * n), value=0.25) for n in range(4)
        )
    return made


def next_cursor(response) -> str:
    return parse_qs(urlsplit(response.json()["next"]).query)["cursor"][0]


def old_style(values) -> str:
    """A cursor as the API used to write them: base64 of the JSON keyset values."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def assert_invalid_cursor(response) -> None:
    body = response.json()
    assert response.status_code == 400, body
    assert body["code"] == "invalid_cursor"
    assert body["details"] == {"cursor": [body["message"]]}


def test_pages_follow_each_other_and_the_cursor_shows_no_database_id(export, meters):
    first = export.get("/api/v1/premises/?page_size=1")
    cursor = next_cursor(first)
    second = export.get(f"/api/v1/premises/?page_size=1&cursor={cursor}")

    ids = [first.json()["results"][0]["id"], second.json()["results"][0]["id"]]
    assert len(set(ids)) == 2
    # A Fernet token (version byte 0x80, then time, IV, ciphertext, MAC), not readable JSON.
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert raw[0] == 0x80 and len(raw) > 57
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)


@pytest.mark.parametrize(
    "forged",
    [
        old_style([2]),
        old_style([5]),
        old_style([1.5]),
        old_style([True]),
        old_style([99999999999999999999, "2025-06-10T15:45:00+00:00"]),
        "nonsense",
        "",
        "gAAAAA",
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/premises/", "/api/v1/readings/", "/api/v1/daily-usage/", "/api/v1/weather/"]
)
def test_a_cursor_the_api_did_not_give_out_is_400(export, meters, path, forged):
    assert_invalid_cursor(export.get(f"{path}?cursor={forged}"))


def test_an_edited_cursor_is_400(export, meters):
    cursor = next_cursor(export.get("/api/v1/readings/?page_size=2"))
    flipped = cursor[:-6] + ("A" if cursor[-6] != "A" else "B") + cursor[-5:]

    assert_invalid_cursor(export.get(f"/api/v1/readings/?page_size=2&cursor={flipped}"))


def test_a_cursor_is_refused_on_another_query_but_not_for_another_page_size(export, meters):
    cursor = next_cursor(export.get("/api/v1/readings/?meter=E-CUR-0,E-CUR-1&page_size=2"))

    assert_invalid_cursor(export.get(f"/api/v1/readings/?meter=E-CUR-2&cursor={cursor}"))
    assert_invalid_cursor(export.get(f"/api/v1/readings/?cursor={cursor}"))
    assert_invalid_cursor(export.get(f"/api/v1/daily-usage/?meter=E-CUR-0,E-CUR-1&cursor={cursor}"))
    assert_invalid_cursor(
        export.get(f"/api/v1/readings/?meter=E-CUR-0,E-CUR-1&resolution=day&cursor={cursor}")
    )
    # The same filters in another order, and another page size: the same query.
    same = export.get(f"/api/v1/readings/?page_size=3&meter=E-CUR-0,E-CUR-1&cursor={cursor}")
    assert same.status_code == 200
    first = same.json()["results"][0]
    assert (first["meter"], datetime.fromisoformat(first["ts"])) == (
        "E-CUR-0",
        START + timedelta(hours=1),
    )


def test_a_cursor_expires(export, meters, settings):
    cursor = next_cursor(export.get("/api/v1/readings/?page_size=2"))
    later = time.time() + settings.API_CURSOR_MAX_AGE_S + 60

    with mock.patch.object(fernet.time, "time", return_value=later):
        response = export.get(f"/api/v1/readings/?page_size=2&cursor={cursor}")

    assert_invalid_cursor(response)
    assert "24 hours old" in response.json()["message"]


def test_walking_every_page_returns_every_row_once(export, meters):
    seen, url = [], "/api/v1/readings/?page_size=5"
    while url:
        body = export.get(url).json()
        seen += [(row["meter"], row["ts"]) for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 12
