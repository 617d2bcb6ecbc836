"""docs/observability.md's walkthrough, with a real Prometheus: from a metric's exemplar to the
trace id, and from the trace id to the worker's log lines.

gunicorn with two workers, each serving its metrics on a port of its own (WEB_METRICS_PORT), a
Celery worker with two pool processes (CELERY_METRICS_PORT) and Debian's Prometheus with
exemplar storage scraping all of them every second, as deploy/compose/prometheus.yml does. A
batch is posted inside a trace the test starts (a W3C ``traceparent`` header, as a gateway or
a load balancer sends); Prometheus then answers the exemplar query with that trace id, on the
web's request-latency histogram and on the worker's batch-duration histogram, and the worker's
JSON log lines of the batch carry it.
"""

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import time

import httpx
import pytest

from tests.integration.conftest import free_ports
from tests.integration.drills.stack import (
    AppProcess,
    csv_body,
    drill_readings,
    gateway_authorization,
    wait_for,
)
from tests.required import needed

pytestmark = pytest.mark.integration

SCRAPE_TOKEN = "walkthrough-scrape-token"
INGEST_VIEW = "api:ingest-readings"


@pytest.fixture
def prometheus_binary() -> str:
    path = shutil.which("prometheus")
    if path is None:
        needed("prometheus", how="`make prometheus` installs Debian's package")
    return path


def prometheus_config(*, web: int, web_processes: list[int], workers: list[int]) -> str:
    def job(name: str, path: str, ports: list[int], every_s: int = 1) -> str:
        targets = ", ".join(f'"127.0.0.1:{port}"' for port in ports)
        return (
            f"  - job_name: {name}\n"
            f"    metrics_path: {path}\n"
            f"    scrape_interval: {every_s}s\n"
            f"    scrape_timeout: {every_s}s\n"
            f"    authorization: {{type: Bearer, credentials: {SCRAPE_TOKEN}}}\n"
            f"    static_configs: [{{targets: [{targets}]}}]\n"
        )

    return (
        "scrape_configs:\n"
        # The system gauges ping the workers through the broker: not every second.
        + job("shoene-web", "/metrics", [web], every_s=5)
        + job("shoene-web-process", "/", web_processes)
        + job("shoene-worker", "/", workers)
    )


def test_a_batch_goes_from_an_exemplar_to_its_trace_to_its_log_lines(
    deploy, prometheus_binary, tmp_path
):
    web_metrics, worker_metrics = free_ports(2), free_ports(2)
    deployment = deploy(
        WEB_METRICS_PORT=str(web_metrics),
        CELERY_METRICS_PORT=str(worker_metrics),
        METRICS_SCRAPE_TOKEN=SCRAPE_TOKEN,
        OTEL_TRACES_EXPORTER="none",  # traces (ids in metrics and logs) without a collector
        LOG_FORMAT="json",
    )
    worker = deployment.start_worker(concurrency=2)
    deployment.start_web(workers=2, threads=2)

    port = free_ports(1)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        prometheus_config(
            web=deployment.web_port,
            web_processes=[web_metrics, web_metrics + 1],
            workers=[worker_metrics, worker_metrics + 1],
        )
    )
    check = subprocess.run(
        ["promtool", "check", "config", str(config)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    prometheus = AppProcess(
        f"{deployment.database}-prometheus",
        [
            prometheus_binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--enable-feature=exemplar-storage",
        ],
        dict(os.environ),
        deployment.stack.log_dir,
    )
    deployment.processes.append(prometheus)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5)

    def targets() -> list[dict]:
        """Prometheus's scrape targets; none while it starts (it answers 503 until ready)."""
        if not prometheus.running:
            raise AssertionError(f"prometheus exited:\n{prometheus.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            response = api.get("/api/v1/targets")
            if response.status_code == 200:
                return response.json()["data"]["activeTargets"]
        return []

    def targets_up() -> bool:
        active = targets()
        return len(active) == 5 and all(t["health"] == "up" for t in active)

    # Every web worker took a metrics port of its own, and every pool process its own.
    wait_for(
        targets_up,
        timeout_s=60,
        what="Prometheus scraping web, both web workers and both pool processes",
        detail=lambda: json.dumps(
            [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets()], indent=1
        ),
    )

    trace_id = secrets.token_hex(16)
    started = time.time()
    posted = httpx.post(
        f"{deployment.base_url}/api/v1/ingest/readings/",
        content=csv_body(drill_readings(meters=2, intervals=48)),
        headers={
            "Authorization": gateway_authorization(deployment),
            "Content-Type": "text/csv",
            "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
        },
        timeout=30,
    )
    assert posted.status_code == 202, posted.text
    batch_id = posted.json()["id"]
    wait_for(
        lambda: (
            deployment.query("SELECT status FROM energy_ingestbatch WHERE id = %s", [batch_id])
            == [("done",)]
        ),
        timeout_s=60,
        what=f"batch {batch_id} done",
        detail=worker.log_tail,
    )

    def exemplar_traces(query: str) -> set[str]:
        answer = api.get(
            "/api/v1/query_exemplars",
            params={"query": query, "start": started - 60, "end": time.time() + 60},
        ).json()
        assert answer["status"] == "success", answer
        return {
            exemplar["labels"].get("trace_id")
            for series in answer["data"]
            for exemplar in series["exemplars"]
        }

    # 1. The spike: the worker's batch-duration histogram, and the web's request latency of
    # the ingest view, each hold an exemplar of this trace.
    wait_for(
        lambda: trace_id in exemplar_traces("shoene_ingest_batch_duration_seconds_bucket"),
        timeout_s=30,
        what="the batch's trace id as an exemplar of shoene_ingest_batch_duration_seconds",
        detail=lambda: str(exemplar_traces("shoene_ingest_batch_duration_seconds_bucket")),
    )
    request_latency = f'shoene_http_request_duration_seconds_bucket{{view="{INGEST_VIEW}"}}'
    wait_for(
        lambda: trace_id in exemplar_traces(request_latency),
        timeout_s=30,
        what="the POST's trace id as an exemplar of shoene_http_request_duration_seconds",
        detail=lambda: str(exemplar_traces("shoene_http_request_duration_seconds_bucket")),
    )

    # 2. The log lines: the worker's JSON lines for the batch carry the same trace id.
    lines = []
    for text in worker.log_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            line = json.loads(text)
            if isinstance(line, dict) and line.get("trace_id") == trace_id:
                lines.append(line)
    assert any(line.get("batch_id") == batch_id for line in lines), worker.log_tail()
    assert any("done" in line["message"] for line in lines), [line["message"] for line in lines]
