"""``POST /api/v1/ingest/register-readings/``: registers in, interval readings out, chained."""

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from rest_framework.test import APIClient

from energy.apikeys.models import ApiScope
from energy.interop.models import MeterRegister
from energy.interop.routeb.register import NO_DATA
from energy.models import IngestBatch, Reading
from tests import factories

URL = "/api/v1/ingest/register-readings/"
T0 = datetime(2026, 1, 14, 15, 0, tzinfo=UTC)  # 2026-01-15 00:00 in Japan
JST_SLOTS = [f"2026-01-15T{h:02d}:{m:02d}:00+09:00" for h in range(24) for m in (0, 30)]


def at(slot: int) -> datetime:
    return T0 + timedelta(minutes=30 * slot)


def body(*values, first=0, unit_code=1, digits=6, coefficient=1, meter="E-0001") -> dict:
    return {
        "meter": meter,
        "coefficient": coefficient,
        "unit_code": unit_code,
        "effective_digits": digits,
        "readings": [
            {"ts": JST_SLOTS[first + i], "value": value}
            for i, value in enumerate(values)
            if value is not None
        ],
    }


@pytest.fixture
def post(gateway_client, django_capture_on_commit_callbacks):
    def send(payload, *, client=None, idempotency_key=None):
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or gateway_client).post(
                URL, orjson.dumps(payload), content_type="application/json", headers=headers
            )

    return send


@pytest.fixture
def batch_of(gateway_client):
    """The batch a 202 points to, after its processing (which runs once the post commits)."""

    def fetch(response) -> dict:
        assert response.status_code == 202, response.content
        return gateway_client.get(response["Location"]).json()

    return fetch


def stored(meter) -> list[tuple[datetime, float]]:
    return list(Reading.objects.filter(meter=meter).order_by("ts").values_list("ts", "value"))


def test_registers_become_interval_readings_through_the_pipeline(electricity_meter, post, batch_of):
    payload = body(1000, 1004, NO_DATA, 1011, 1013, 1015)
    response = post(payload)
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["source"] == "register"
    assert response["Location"] == data["url"]
    processed = batch_of(response)
    assert processed["status"] == "done"
    assert processed["counts"] == {
        "accepted": 3,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    registers = data["registers"]
    assert registers["intervals"] == 3
    assert registers["chained"] is False
    assert registers["no_data"] == [JST_SLOTS[2]]
    assert registers["gaps"] == [{"start": JST_SLOTS[1], "end": JST_SLOTS[3]}]
    assert registers["kept"] == {"ts": JST_SLOTS[5], "value": 1015}
    # 0.1 kWh units: 00:00 0.4, (00:30 and 01:00 a gap), 01:30 0.2, 02:00 0.2.
    assert stored(electricity_meter) == [(at(0), 0.4), (at(3), 0.2), (at(4), 0.2)]
    batch = IngestBatch.objects.get(pk=data["id"])
    assert orjson.loads(batch.register_payload) == payload
    assert len(orjson.loads(batch.payload)["readings"]) == 3


def test_consecutive_deliveries_chain_and_late_ones_stay_within_themselves(
    electricity_meter, post, batch_of
):
    assert post(body(100, 101, first=0)).json()["registers"]["intervals"] == 1
    second = post(body(103, 106, first=2)).json()["registers"]
    assert (
        second["chained"] is True and second["intervals"] == 2
    )  # 00:30-01:00 from the register kept at 00:30
    assert stored(electricity_meter) == [(at(0), 0.1), (at(1), 0.2), (at(2), 0.3)]
    # A delivery for earlier slots (out of order): differenced within itself, kept stays.
    response = post(body(100, 101, 103, first=0))
    assert batch_of(response)["counts"]["duplicate"] == 2
    late = response.json()["registers"]
    assert late["out_of_order"] is True and late["chained"] is False
    assert late["kept"] == {"ts": JST_SLOTS[3], "value": 106}
    assert MeterRegister.objects.get(meter=electricity_meter).value == 106


def test_a_late_delivery_with_different_values_is_a_correction(electricity_meter, post, batch_of):
    post(body(100, 101, 103))
    response = post(body(100, 102, first=0))
    assert batch_of(response)["counts"]["corrected"] == 1
    assert stored(electricity_meter)[0] == (at(0), 0.2)


def test_wrap_around_and_first_register_alone(electricity_meter, post):
    first = post(body(999_998, digits=6, unit_code=0))
    assert first.status_code == 202
    assert first.json()["registers"]["intervals"] == 0
    assert first.json()["row_count"] == 0
    assert MeterRegister.objects.get(meter=electricity_meter).value == 999_998
    then = post(body(3, first=1, digits=6, unit_code=0))
    assert then.json()["registers"]["chained"] is True
    assert stored(electricity_meter) == [(at(0), 5.0)]


def test_changed_settings_do_not_chain(electricity_meter, post):
    post(body(100, digits=6))
    changed = post(body(120, first=1, digits=7)).json()["registers"]
    assert changed["chained"] is False and changed["intervals"] == 0
    assert MeterRegister.objects.get(meter=electricity_meter).digits == 7


def test_idempotency_key_replays_the_same_delivery(electricity_meter, post):
    payload = body(100, 101, 103)
    first = post(payload, idempotency_key="gw-1")
    again = post(payload, idempotency_key="gw-1")
    assert again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["registers"] is None
    other = post(body(100, 105), idempotency_key="gw-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_an_implausible_difference_is_rejected_by_validation(electricity_meter, post, batch_of):
    # A register that went backwards reads as nearly a full wrap: far above any interval limit.
    data = batch_of(post(body(500_000, 499_000, unit_code=0)))
    assert data["counts"]["rejected"] == 1
    assert data["rejected_rows"][0]["reason"]
    assert stored(electricity_meter) == []


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({**body(1, 2), "unit_code": 5}, "invalid", "unit_code"),
        ({**body(1, 2), "effective_digits": 9}, "invalid", "effective_digits"),
        ({**body(1, 2), "coefficient": 0}, "invalid", "coefficient"),
        ({**body(1, 2), "readings": []}, "invalid", "readings"),
        ({**body(1, 2), "readings": [{"ts": "2026-01-15T00:00:00", "value": 1}]}, "invalid",
         "readings"),
        ({**body(1, 2), "readings": [{"ts": JST_SLOTS[0], "value": -1}]}, "invalid", "readings"),
        ({**body(1, 2), "readings": [{"ts": JST_SLOTS[0], "value": 2**32}]}, "invalid",
         "readings"),
        (body(1, 1_000_000, digits=6), "invalid_registers", None),
        ({**body(1), "readings": [{"ts": JST_SLOTS[0], "value": 1},
                                  {"ts": JST_SLOTS[0], "value": 2}]}, "invalid_registers", None),
        (body(1, 2, meter="E-NOWHERE"), "unknown_meter", None),
    ],
)  # fmt: skip
def test_bad_payloads_are_400_with_the_reason(electricity_meter, post, payload, code, field):
    response = post(payload)
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == code
    assert error["message"]
    if field:
        assert field in error["details"]
    assert not IngestBatch.objects.exists()


def test_gas_meters_are_refused(gas_meter, post):
    response = post(body(1, 2, meter=gas_meter.serial))
    assert response.status_code == 400
    assert response.json()["code"] == "not_electricity"


def test_needs_the_ingest_scope(electricity_meter, api_client_for):
    payload = orjson.dumps(body(1, 2))
    assert APIClient().post(URL, payload, content_type="application/json").status_code == 401
    export_only = api_client_for(ApiScope.EXPORT)
    response = export_only.post(URL, payload, content_type="application/json")
    assert response.status_code == 403
    assert "ingest" in response.json()["message"]
    customer = APIClient()
    customer.force_login(factories.UserFactory())
    assert customer.post(URL, payload, content_type="application/json").status_code == 403


def test_documented_in_the_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/ingest/register-readings/"]["post"]
    request = operation["requestBody"]["content"]["application/json"]
    assert request["schema"]["$ref"].endswith("/RegisterPayloadRequest")
    assert request["examples"]
    assert "/api/v1/export/readings.csv" in schema["paths"]
