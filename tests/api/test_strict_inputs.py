"""Inputs that used to reach the database unrepresentable (500) or were silently ignored are
400s naming the parameter."""

import pytest

from energy.apikeys.models import ApiScope
from tests import factories


@pytest.fixture
def export(api_client_for):
    return api_client_for(ApiScope.EXPORT)


@pytest.fixture
def meter(db):
    return factories.MeterFactory(serial="E-STRICT")


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/points/?campaign=99999999999999999999", "campaign"),
        ("/api/v1/points/?event=1e49", "event"),
        ("/api/v1/points/?campaign=-1.79e308", "campaign"),
        ("/api/v1/points/?campaign=0", "campaign"),
        ("/api/v1/meters/E-STRICT/savings/?intervention=0001-01-01", "intervention"),
        (
            "/api/v1/meters/E-STRICT/savings/?intervention=2026-01-01&reporting_end=9999-12-31",
            "reporting_end",
        ),
        ("/api/v1/daily-usage/?start=0001-01-01", "start"),
        ("/api/v1/weather/?end=9999-12-31", "end"),
        ("/api/v1/readings/?start=2026-01-01T00:00:00", "start"),
        ("/api/v1/readings/?end=9999-12-31T23:00:00-05:00", "end"),
        ("/api/v1/points/?since=2026-01-01", "since"),
        ("/api/v1/recommendations/?current=xyz", "current"),
        ("/api/v1/recommendations/?current=1", "current"),
        ("/api/v1/daily-usage/?complete=maybe", "complete"),
        ("/api/v1/readings/?start=", "start"),
        ("/api/v1/daily-usage/?meter=", "meter"),
        ("/api/v1/premises/?region=", "region"),
    ],
)
def test_a_bad_or_empty_parameter_is_a_400_naming_it(export, meter, url, field):
    response = export.get(url)

    body = response.json()
    assert response.status_code == 400, body
    assert field in body["details"], body
    assert isinstance(body["details"][field], list) and body["details"][field][0]


def test_a_naive_time_says_to_give_an_offset(export, meter):
    body = export.get("/api/v1/readings/?start=2026-01-01T00:00:00").json()

    assert "UTC offset" in body["details"]["start"][0]


@pytest.mark.parametrize("value", ["true", "false"])
def test_true_and_false_are_understood(export, meter, value):
    assert export.get(f"/api/v1/daily-usage/?complete={value}").status_code == 200
    assert export.get(f"/api/v1/recommendations/?current={value}").status_code == 200


def test_every_error_has_details_as_an_object(export, api_client_for, meter):
    answers = [
        export.get("/api/v1/meters/NOPE/"),  # 404 from a view
        export.get("/api/v1/no-such-endpoint/"),  # 404 outside DRF
        api_client_for(ApiScope.INGEST).get("/api/v1/premises/"),  # 403: not its scope
        export.post("/api/v1/premises/", {}),  # 405
    ]
    for response in answers:
        body = response.json()
        assert response.status_code >= 400
        assert set(body) == {"code", "message", "details"}, body
        assert isinstance(body["details"], dict), (response.status_code, body)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/meters/?serial=R%00x",
        "/api/v1/meters/E%00X/",
        "/api/v1/readings/?meter=E-STRICT,%00",
        "/api/v1/premises/?region%00=x",
    ],
)
def test_a_nul_character_in_the_path_or_query_is_a_400_not_a_database_error(export, meter, url):
    """Found by schemathesis as a customer: PostgreSQL text cannot hold NUL."""
    response = export.get(url)

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "The request's path or query contains a NUL character.",
        "details": {},
    }


def test_a_portal_page_with_a_nul_in_its_query_is_a_400(client):
    assert client.get("/?month=%00").status_code == 400
