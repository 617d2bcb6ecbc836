"""The schema's error examples are what the API answers: each documented example is requested
for real and compared, so the examples cannot drift from the code."""

import pytest
from django.db import OperationalError
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

from config.schema import ERROR_EXAMPLES
from energy.apikeys.models import ApiScope
from tests.api.test_throttles import client_from_new_address


@pytest.fixture(scope="module")
def readings_errors():
    """The error responses /api/v1/readings/ documents, by status."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return schema["paths"]["/api/v1/readings/"]["get"]["responses"]


def documented(responses, status: str) -> dict:
    [example] = responses[status]["content"]["application/json"]["examples"].values()
    return example["value"]


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_every_shared_error_example_is_documented_on_every_operation(readings_errors):
    for status, example in ERROR_EXAMPLES.items():
        assert documented(readings_errors, status) == example


@pytest.mark.parametrize(
    ("status", "caller", "query"),
    [
        ("400", "export", "?resolution=week"),
        ("401", None, ""),
        ("403", "ingest", ""),
    ],
)
def test_an_error_example_is_the_answer_to_its_request(
    english, readings_errors, api_client_for, status, caller, query
):
    client = api_client_for(caller) if caller else client_from_new_address()

    response = client.get(f"/api/v1/readings/{query}", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == int(status)
    assert response.json() == documented(readings_errors, status)


def test_the_not_found_example(english, readings_errors, api_client_for):
    response = api_client_for(ApiScope.EXPORT).get("/api/v1/meters/NO-SUCH-METER/")

    assert response.status_code == 404
    assert response.json() == documented(readings_errors, "404")


def test_the_throttled_example_has_the_same_shape(english, readings_errors, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = client_from_new_address()
    client.get("/api/v1/readings/")

    body = client.get("/api/v1/readings/").json()

    example = documented(readings_errors, "429")
    assert (body["code"], body["message"], set(body["details"])) == (
        example["code"],
        example["message"],
        set(example["details"]),
    )


def test_the_unavailable_example_is_the_answer_while_the_database_is_down(
    english, readings_errors, api_client_for, monkeypatch
):
    client = api_client_for(ApiScope.EXPORT)

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("energy.api.readings.ReadingListView.keyset_page", down)
    with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False):
        response = client.get("/api/v1/readings/?resolution=day")

    assert response.status_code == 503
    assert response.json() == documented(readings_errors, "503")
