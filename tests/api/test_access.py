"""Who may call which endpoint: keys and their scopes, sessions and ownership, throttling."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from energy.access import DATA_TEAM
from energy.apikeys.models import ApiKey, ApiScope
from energy.apikeys.services import api_key_create
from energy.models import DailyUsage, Reading, WeatherObservation
from flags.models import Experiment
from tests import factories

READ_URLS = [
    "/api/v1/premises/",
    "/api/v1/meters/",
    "/api/v1/readings/",
    "/api/v1/readings/?resolution=day",
    "/api/v1/daily-usage/",
    "/api/v1/weather/",
    "/api/v1/tariffs/electricity/",
    "/api/v1/tariffs/gas/",
    "/api/v1/recommendations/",
    "/api/v1/points/",
]
EXPERIMENT_URLS = [
    "/api/v1/experiments/",
    "/api/v1/experiments/framing/exposures/",
]


@pytest.fixture
def two_customers(db):
    """Two customers, each with a premise, a meter, a reading, a day's usage."""
    homes = []
    for name in ("aiko", "ben"):
        meter = factories.MeterFactory(
            premise__owner=factories.UserFactory(username=name),
            premise__name=f"{name}'s flat",
            premise__address=f"1-1 {name}-cho",
        )
        ts = datetime(2026, 1, 1, 15, tzinfo=UTC)
        Reading.objects.create(meter=meter, ts=ts, value=0.5)
        DailyUsage.objects.create(
            meter=meter,
            date=ts.date(),
            total=0.5,
            baseload=0.5,
            peak=0.5,
            peak_at=ts,
            night_total=0,
            intervals=1,
        )
        homes.append(meter)
    WeatherObservation.objects.create(
        region=homes[0].premise.region, date=datetime(2026, 1, 2).date(), temperature_mean_c=-3
    )
    Experiment.objects.create(key="framing", name="Framing", primary_metric="daily_kwh")
    return homes


def assert_error(response, status: int, code: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"code", "message", "details"} and body["code"] == code, body
    assert body["message"]
    return body


@pytest.mark.parametrize("url", READ_URLS + EXPERIMENT_URLS)
def test_without_a_key_every_endpoint_is_401(url, two_customers):
    response = APIClient().get(url)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("url", READ_URLS)
def test_reading_needs_the_export_scope(url, two_customers, api_client_for):
    assert_error(api_client_for(ApiScope.INGEST).get(url), 403, "permission_denied")
    assert_error(api_client_for(ApiScope.EXPERIMENTS_READ).get(url), 403, "permission_denied")
    response = api_client_for(ApiScope.EXPORT).get(url)
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("url", [*EXPERIMENT_URLS, "/api/v1/experiments/framing/results/?fresh=1"])
def test_experiments_need_the_experiments_scope(url, two_customers, api_client_for):
    body = assert_error(api_client_for(ApiScope.EXPORT).get(url), 403, "permission_denied")
    assert "experiments:read" in body["message"]
    assert api_client_for(ApiScope.EXPERIMENTS_READ).get(url).status_code == 200


def test_ingest_needs_the_ingest_scope(two_customers, api_client_for):
    body = {"readings": [{"meter": two_customers[0].serial, "ts": "2026-01-01T00:00Z", "value": 1}]}
    url = reverse("api:ingest-readings")
    assert_error(
        api_client_for(ApiScope.EXPORT).post(url, body, format="json"), 403, "permission_denied"
    )
    assert api_client_for(ApiScope.INGEST).post(url, body, format="json").status_code == 202


def test_a_revoked_or_expired_key_is_refused_with_the_reason(two_customers, api_client_for):
    user = factories.UserFactory()
    _, revoked = api_key_create(name="old", user=user, scopes=[ApiScope.EXPORT])
    ApiKey.objects.update(revoked_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {revoked}")
    assert (
        "revoked"
        in assert_error(client.get("/api/v1/meters/"), 401, "authentication_failed")["message"]
    )

    key, expiring = api_key_create(
        name="short",
        user=user,
        scopes=[ApiScope.EXPORT],
        expires_at=timezone.now() + timedelta(hours=1),
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {expiring}")
    assert client.get("/api/v1/meters/").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert (
        "expired"
        in assert_error(client.get("/api/v1/meters/"), 401, "authentication_failed")["message"]
    )


def test_the_secret_is_stored_only_as_a_digest(db):
    key, secret = api_key_create(name="k", user=factories.UserFactory(), scopes=["export"])
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert not any(secret in str(value) for value in stored.values())
    assert secret.startswith(f"shoene_{key.prefix}_")


def test_a_customer_sees_only_their_own_data_through_every_filter_and_id(
    two_customers, session_client_for
):
    mine, theirs = two_customers
    client = session_client_for(mine.premise.owner)

    assert client.get(f"/api/v1/premises/{theirs.premise.public_id}/").status_code == 404
    assert client.get(f"/api/v1/meters/{theirs.serial}/").status_code == 404
    assert (
        client.get(f"/api/v1/meters/{theirs.serial}/savings/?intervention=2026-01-01").status_code
        == 404
    )
    for url in [
        f"/api/v1/meters/?serial={theirs.serial}",
        f"/api/v1/meters/?premise={theirs.premise.public_id}",
        f"/api/v1/readings/?meter={theirs.serial}",
        f"/api/v1/readings/?meter={theirs.serial}&resolution=month",
        f"/api/v1/daily-usage/?meter={theirs.serial}",
        f"/api/v1/recommendations/?premise={theirs.premise.public_id}",
    ]:
        response = client.get(url)
        assert response.status_code == 200 and response.json()["results"] == [], url

    listed = client.get("/api/v1/premises/").json()["results"]
    assert [premise["id"] for premise in listed] == [mine.premise.public_id]
    # Customers see their own personal fields.
    assert listed[0]["personal"]["name"] == "aiko's flat"
    meters = client.get(f"/api/v1/readings/?meter={mine.serial},{theirs.serial}").json()["results"]
    assert {reading["meter"] for reading in meters} == {mine.serial}


def test_the_data_team_sees_pseudonymous_premises_unless_the_key_has_pii(
    two_customers, api_client_for, session_client_for
):
    rows = api_client_for(ApiScope.EXPORT).get("/api/v1/premises/").json()["results"]
    assert len(rows) == 2
    for row in rows:
        assert row["id"].startswith("p_") and row["personal"] is None
    assert str(two_customers[0].premise.pk) not in [row["id"] for row in rows]

    with_pii = api_client_for(ApiScope.EXPORT, ApiScope.PII).get("/api/v1/premises/").json()
    assert {row["personal"]["owner_email"] for row in with_pii["results"]} == {
        "aiko@example.com",
        "ben@example.com",
    }
    data_team = session_client_for(factories.UserFactory(groups=[DATA_TEAM]))
    assert data_team.get("/api/v1/premises/").json()["results"][0]["personal"] is None


def test_a_key_over_its_rate_gets_429_with_retry_after(two_customers):
    _, secret = api_key_create(
        name="slow", user=factories.UserFactory(), scopes=[ApiScope.EXPORT], rate="3/min"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert [client.get("/api/v1/meters/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/meters/")
    assert_error(refused, 429, "throttled")
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another key is counted apart.
    _, other = api_key_create(name="other", user=factories.UserFactory(), scopes=[ApiScope.EXPORT])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")
    assert client.get("/api/v1/meters/").status_code == 200


def test_keys_from_the_command_line(two_customers, capsys):
    factories.UserFactory(username="etl")
    call_command("api_key", "create", "--name", "nightly", "--user", "etl", "--scope", "export")
    secret = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/meters/").status_code == 200

    call_command("api_key", "list")
    listing = capsys.readouterr().out
    assert "nightly" in listing and secret not in listing

    call_command("api_key", "revoke", secret.split("_")[1])
    assert client.get("/api/v1/meters/").status_code == 401
    with pytest.raises(Exception, match="No user 'nobody'"):
        call_command("api_key", "create", "--name", "x", "--user", "nobody", "--scope", "export")


def test_an_admin_creates_a_key_and_sees_its_secret_once(two_customers, client):
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    gateway = factories.UserFactory(username="gw")
    response = client.post(
        reverse("admin:apikeys_apikey_add"),
        {"name": "site 7 gateway", "user": gateway.pk, "scopes": ["ingest"], "rate": "600/min"},
        follow=True,
    )
    key = ApiKey.objects.get(name="site 7 gateway")
    shown = [str(message) for message in response.context["messages"]]
    secret = next(word for text in shown for word in text.split() if word.startswith("shoene_"))
    assert secret.startswith(f"shoene_{key.prefix}_") and key.scopes == ["ingest"]
    assert (
        secret
        not in client.get(reverse("admin:apikeys_apikey_change", args=[key.pk])).content.decode()
    )

    client.post(
        reverse("admin:apikeys_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None

    bad = client.post(
        reverse("admin:apikeys_apikey_add"),
        {"name": "x", "user": gateway.pk, "scopes": ["ingest"], "rate": "lots"},
    )
    assert bad.status_code == 200 and "rate" in bad.context["adminform"].form.errors
