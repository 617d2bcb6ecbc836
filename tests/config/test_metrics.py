"""/metrics: who may read it, our metrics' values after a known batch, and a trace exemplar."""

import pytest
from django.urls import reverse
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from flags import services as flags
from tests import factories

pytestmark = pytest.mark.django_db

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
SCRAPE_TOKEN = "scrape-secret-for-tests"


@pytest.fixture(autouse=True)
def _scrape_token(settings):
    settings.METRICS_SCRAPE_TOKEN = SCRAPE_TOKEN


def _scrape(client) -> dict:
    """{(sample name, sorted labels): sample} from an OpenMetrics scrape."""
    response = client.get(
        reverse("metrics"), HTTP_ACCEPT=OPENMETRICS, HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample
    return samples


def _value(samples, name, **labels) -> float:
    sample = samples.get((name, tuple(sorted(labels.items()))))
    return sample.value if sample else 0.0


def test_metrics_are_for_staff_or_the_scrape_token(client):
    url = reverse("metrics")
    assert client.get(url).status_code == 403
    assert client.get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}").status_code == 200
    client.force_login(factories.UserFactory(username="customer"))
    denied = client.get(url)
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"
    client.force_login(factories.UserFactory(username="ops", is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert b"shoene_ingest_readings_total" in response.content  # the text format by default


def test_a_known_batch_shows_in_the_metrics_with_its_trace_as_exemplar(
    client, gateway_client, electricity_meter, tracing, django_capture_on_commit_callbacks
):
    before = _scrape(client)
    body = (
        "meter,ts,value\n"
        "E-0001,2026-01-10T00:00:00+09:00,0.4\n"
        "E-0001,2026-01-10T00:30:00+09:00,0.6\n"
        "E-0001,2026-01-10T01:00:00+09:00,0.5\n"
        "E-0001,2026-01-10T01:10:00+09:00,0.5\n"  # off the grid
        "E-0001,2026-01-10T01:30:00+09:00,-1\n"  # negative
        "E-0001,2026-01-10T02:00:00+09:00,-2\n"  # negative
    )
    again = body.replace("0.6", "0.7")  # one corrected, two duplicates, the same rejections
    with django_capture_on_commit_callbacks(execute=True):  # the batch's task, in-process
        first = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        second = gateway_client.post("/api/v1/ingest/readings/", again, content_type="text/csv")
    assert (first.status_code, second.status_code) == (202, 202)

    after = _scrape(client)

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    readings = "shoene_ingest_readings_total"
    assert delta(readings, outcome="accepted", reason="") == 3
    assert delta(readings, outcome="duplicate", reason="") == 2
    assert delta(readings, outcome="corrected", reason="") == 1
    assert delta(readings, outcome="rejected", reason="off_grid") == 2
    assert delta(readings, outcome="rejected", reason="negative") == 4
    assert delta("shoene_ingest_batches_total", status="done") == 2
    assert delta("shoene_ingest_batch_duration_seconds_count", status="done") == 2
    assert delta("shoene_api_requests_total", scope="ingest", status="2xx") == 2  # the key's

    # The batch's duration carries the trace it was processed in (here the on-commit work runs
    # after the request's span; tests/integration/test_observability.py follows one trace from
    # the POST into a real worker).
    batch_traces = {
        format(span.context.trace_id, "032x")
        for span in tracing.get_finished_spans()
        if span.name == "ingest.batch_process"
    }
    assert len(batch_traces) == 2
    exemplars = {
        sample.exemplar.labels["trace_id"]
        for (name, labels), sample in after.items()
        if name == "shoene_ingest_batch_duration_seconds_bucket" and sample.exemplar
    }
    assert batch_traces & exemplars


def test_flag_evaluations_and_api_scopes_are_counted(client, rf):
    factories.FlagFactory(name="portal_winter_tips", everyone=True)
    staff = factories.UserFactory(username="ops", is_staff=True)
    request = rf.get("/")
    request.user = staff
    before = _scrape(client)

    for _ in range(3):
        flags.flag_is_active(request=request, name="portal_winter_tips")
    client.get("/api/v1/ingest/batches/00000000-0000-0000-0000-000000000000/")  # anonymous
    client.force_login(staff)
    client.get("/api/v1/ingest/batches/00000000-0000-0000-0000-000000000000/")  # session

    after = _scrape(client)
    evaluations = "shoene_flag_evaluations_total"
    assert (
        _value(after, evaluations, flag="portal_winter_tips", value="true")
        - _value(before, evaluations, flag="portal_winter_tips", value="true")
        == 3
    )
    requests = "shoene_api_requests_total"
    for scope, status in (("anonymous", "4xx"), ("session", "4xx")):
        assert (
            _value(after, requests, scope=scope, status=status)
            - _value(before, requests, scope=scope, status=status)
            == 1
        )


def test_a_worker_process_serves_its_metrics_on_its_own_port(settings):
    import urllib.error
    import urllib.request

    from config.observability import metrics
    from tests.integration.conftest import free_port

    port = metrics.metrics_worker_server_start(port=free_port())
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url, timeout=5)
        assert denied.value.code == 403
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {SCRAPE_TOKEN}", "Accept": OPENMETRICS}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read().decode()
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        assert "# TYPE shoene_ingest_batch_duration_seconds histogram" in body
        assert "shoene_celery_queue_depth" not in body  # system gauges: the web's /metrics only
    finally:
        metrics._server.pop("server").shutdown()
        metrics._server.pop("port")


def test_a_web_request_is_timed_by_view_with_its_trace_as_exemplar(client, tracing):
    before = _scrape(client)
    staff = factories.UserFactory(username="ops-latency", is_staff=True)
    client.force_login(staff)

    assert client.get(reverse("dashboards:staff_overview")).status_code == 200
    assert client.get("/api/v1/premises/99999999/").status_code == 404

    after = _scrape(client)
    name = "shoene_http_request_duration_seconds_count"
    labels = {"method": "GET", "view": "dashboards:staff_overview", "status": "2xx"}
    assert _value(after, name, **labels) - _value(before, name, **labels) == 1
    assert any(
        key[0] == name and dict(key[1])["status"] == "4xx" and sample.value >= 1
        for key, sample in after.items()
    )
    request_traces = {
        format(span.context.trace_id, "032x")
        for span in tracing.get_finished_spans()
        if span.attributes.get("http.route", "").startswith("staff/overview")
        or span.name.startswith("GET staff/overview")
    }
    exemplars = {
        sample.exemplar.labels["trace_id"]
        for (sample_name, labels_), sample in after.items()
        if sample_name == "shoene_http_request_duration_seconds_bucket"
        and dict(labels_)["view"] == "dashboards:staff_overview"
        and sample.exemplar
    }
    assert request_traces and request_traces & exemplars


def test_with_a_port_per_web_worker_metrics_serves_only_the_system_gauges(client, settings):
    settings.WEB_METRICS_PORT = 9100

    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}")
    families = {
        line.split()[2] for line in response.content.decode().splitlines() if line[:6] == "# TYPE"
    }

    # Each worker's counters are on its own port; here they would be counted twice.
    assert not any(
        f.startswith(("shoene_ingest_readings", "shoene_http_request")) for f in families
    )
    assert {"shoene_celery_queue_depth", "shoene_flag_days_to_expiry"} <= families


def test_each_flag_in_code_has_its_days_to_expiry(client):
    from django.utils import timezone

    from flags.registry import FLAGS

    samples = _scrape(client)

    for spec in FLAGS:
        days = _value(samples, "shoene_flag_days_to_expiry", flag=spec.name, owner=spec.owner)
        assert days == (spec.expires - timezone.localdate()).days


def test_a_web_worker_takes_the_first_metrics_port_no_other_worker_holds(settings):
    import socket
    import urllib.request

    from config.observability import gunicorn_hooks, metrics
    from tests.integration.conftest import free_ports

    first = free_ports(2)
    held = socket.socket()  # another worker's
    held.bind(("0.0.0.0", first))
    held.listen()
    try:
        gunicorn_hooks._metrics_port_take(range(first, first + 2))
        assert metrics._server["port"] == first + 1
        request = urllib.request.Request(
            f"http://127.0.0.1:{first + 1}/", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert b"shoene_http_request_duration_seconds" in response.read()
    finally:
        held.close()
        if "server" in metrics._server:
            metrics._server.pop("server").shutdown()
            metrics._server.pop("port")
