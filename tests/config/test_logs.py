"""JSON log lines: the request id, the user, the batch; never the token."""

import pytest
from django.urls import reverse

from energy.apikeys.models import ApiKey
from tests import factories

pytestmark = pytest.mark.django_db


def _request_lines(lines):
    return [line for line in lines() if line["logger"] == "shoene.request"]


def test_a_request_line_names_the_request_and_the_user(client, json_log_lines):
    user = factories.UserFactory(username="hanako")
    client.force_login(user)

    response = client.get(reverse("dashboards:home"), HTTP_X_REQUEST_ID="gateway-42.7")

    assert response["X-Request-ID"] == "gateway-42.7"  # a caller's id that looks like one is kept
    [line] = _request_lines(json_log_lines)
    assert line["request_id"] == "gateway-42.7"
    assert line["user_id"] == user.pk
    assert (line["http_method"], line["http_path"], line["http_status"]) == (
        "GET",
        "/",
        200,
    )  # no premises yet
    assert line["level"] == "INFO" and line["time"]
    assert "hanako" not in str(line)  # ids, not names


def test_an_odd_request_id_is_replaced_and_probes_are_not_logged(client, json_log_lines):
    response = client.get(reverse("dashboards:home"), HTTP_X_REQUEST_ID="<script>")
    client.get(reverse("healthz"))

    [line] = _request_lines(json_log_lines)
    assert line["request_id"] == response["X-Request-ID"] != "<script>"
    assert len(line["request_id"]) == 32


def test_ingest_lines_carry_the_batch_id_and_never_the_token(
    gateway_client, electricity_meter, json_log_lines, django_capture_on_commit_callbacks
):
    body = "meter,ts,value\nE-0001,2026-01-10T00:00:00+09:00,0.4\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")

    batch_id = response.json()["id"]
    batch_lines = [line for line in json_log_lines() if line.get("batch_id") == batch_id]
    messages = [line["message"] for line in batch_lines]
    assert any("received" in m for m in messages) and any("done" in m for m in messages)
    done = next(line for line in batch_lines if line.get("batch_status") == "done")
    assert done["accepted"] == 1 and done["task_name"] == "energy.tasks.ingest_batch_process"
    [web_line] = [line for line in json_log_lines() if line["logger"] == "shoene.request"]
    assert web_line["api_key_id"] == str(ApiKey.objects.get(scopes=["ingest"]).pk)
    secret = gateway_client._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert all(secret not in str(line) for line in json_log_lines())
