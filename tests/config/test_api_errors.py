"""Domain errors in the one API error format: a selector's NotFound reads like DRF's own 404."""

import pytest
from django.http import Http404
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from config.errors import NotFound


class Failing(APIView):
    authentication_classes = []
    permission_classes = []
    error: Exception = RuntimeError("not set")

    def get(self, request):
        raise self.error


def test_not_found_is_a_404_with_code_not_found_like_http404():
    request = APIRequestFactory().get("/api/v1/anything/")
    ours = Failing.as_view(error=NotFound("No such meter."))(request)
    django = Failing.as_view(error=Http404("No such meter."))(request)
    assert ours.status_code == django.status_code == 404
    assert ours.data == {"code": "not_found", "message": "No such meter.", "details": {}}
    assert django.data["code"] == "not_found" and django.data["details"] == {}


# --- Through the whole stack: every error under /api/ is JSON --------------------------------

ERROR_KEYS = {"code", "message", "details"}


@pytest.fixture
def failing_client(client):
    """The test client answering as a server would: an exception becomes its error page."""
    client.raise_request_exception = False
    return client


def _is_api_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    return body


@pytest.mark.urls("tests.config.failing_urls")
def test_a_bug_in_an_api_view_is_a_json_500_and_logged_with_its_traceback(failing_client, caplog):
    response = failing_client.get("/api/v1/broken/")

    body = _is_api_error(response, 500, "server_error")
    assert "a bug" not in body["message"]  # the reason is in the log, not told to the client
    # The id a caller quotes to support: the response's X-Request-ID, on the logged error.
    assert body["details"] == {"request_id": response["X-Request-ID"]}
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.request.request_id == response["X-Request-ID"]
    assert record.levelname == "ERROR"
    assert record.exc_info[0] is ZeroDivisionError
    assert "/api/v1/broken/" in record.getMessage()


@pytest.mark.urls("tests.config.failing_urls")
def test_a_bug_in_an_api_view_still_reaches_the_test_client(client):
    # got_request_exception is sent, as for any uncaught exception: tests see the bug itself.
    with pytest.raises(ZeroDivisionError):
        client.get("/api/v1/broken/")


@pytest.mark.urls("tests.config.failing_urls")
def test_a_bug_outside_drf_under_api_is_a_json_500_and_elsewhere_the_html_page(
    failing_client, caplog
):
    response = failing_client.get("/api/v1/broken-plain/")

    body = _is_api_error(response, 500, "server_error")
    assert body["details"] == {"request_id": response["X-Request-ID"]}
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
    page = failing_client.get("/broken-page/")
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_no_such_api_url_is_a_json_404_and_no_such_page_the_html_404(failing_client):
    _is_api_error(failing_client.get("/api/v1/no-such-thing/"), 404, "not_found")
    _is_api_error(failing_client.get("/api/no-version/"), 404, "not_found")
    page = failing_client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_method_an_api_url_does_not_take_is_a_json_405(gateway_client):
    _is_api_error(gateway_client.get("/api/v1/ingest/readings/"), 405, "method_not_allowed")
