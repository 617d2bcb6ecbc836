"""Anonymous calls and refused keys are limited per address: a 429 with Retry-After comes
before a caller without a key, or one guessing keys, gets far."""

import uuid

import pytest
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from energy.apikeys.models import ApiScope
from energy.apikeys.services import api_key_create
from tests import factories


@pytest.fixture
def low_limits(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    rates.update(anon="5/min", auth_failure="4/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def client_from_new_address() -> APIClient:
    """A client whose requests come from an address no other test used."""
    n = uuid.uuid4().int
    return APIClient(REMOTE_ADDR=f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}")


def throttled(kind: str) -> float:
    return REGISTRY.get_sample_value("shoene_api_throttled_total", {"kind": kind}) or 0


def test_anonymous_calls_past_the_rate_get_429_with_retry_after(db, low_limits):
    client = client_from_new_address()
    before = throttled("anon")

    statuses = [client.get("/api/v1/premises/").status_code for _ in range(7)]

    assert statuses == [401] * 5 + [429] * 2
    refused = client.get("/api/v1/premises/")
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) >= 1
    assert throttled("anon") - before == 3
    # Another address is not held back by this one.
    assert client_from_new_address().get("/api/v1/premises/").status_code == 401


def test_guessing_keys_is_stopped_and_a_right_key_then_waits_too(db, low_limits):
    user = factories.UserFactory()
    _, secret = api_key_create(name="real", user=user, scopes=[ApiScope.EXPORT])
    client = client_from_new_address()
    before = throttled("auth_failure")

    guesses = [
        client.get("/api/v1/premises/", HTTP_AUTHORIZATION=f"Bearer shoene_x{n}_guess").status_code
        for n in range(6)
    ]
    right = client.get("/api/v1/premises/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert guesses == [401] * 4 + [429] * 2
    assert right.status_code == 429 and int(right["Retry-After"]) >= 1
    assert throttled("auth_failure") - before == 3
    # Elsewhere, the right key works at once.
    other = client_from_new_address()
    assert other.get("/api/v1/premises/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_a_right_key_is_not_counted_as_a_failure(db, low_limits):
    _, secret = api_key_create(name="real", user=factories.UserFactory(), scopes=[ApiScope.EXPORT])
    client = client_from_new_address()

    statuses = {
        client.get("/api/v1/premises/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code
        for _ in range(10)
    }

    assert statuses == {200}
