"""The observability configs we ship (deploy/prometheus, deploy/compose, deploy/k8s/observability)
are valid for the tools that read them and agree with the metrics the code exposes.

promtool (Debian's prometheus package; `make test` installs it) checks the Prometheus
configuration and the alert rules, and runs the rules' unit tests."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.required import needed

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/alerts.yml"
RULES_TESTS = ROOT / "deploy/prometheus/alerts_test.yml"
COMPOSE_PROMETHEUS = ROOT / "deploy/compose/prometheus.yml"
GRAFANA = ROOT / "deploy/compose/grafana/provisioning"
K8S_OBSERVABILITY = ROOT / "deploy/k8s/observability"


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        needed("promtool", how="`make prometheus` installs Debian's prometheus package")
    return path


def run(*command: str, cwd: Path | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def test_the_alert_rules_are_valid_and_their_unit_tests_pass(promtool):
    assert "SUCCESS" in run(promtool, "check", "rules", str(RULES))
    run(promtool, "test", "rules", str(RULES_TESTS), cwd=RULES_TESTS.parent)


def test_every_alert_has_a_unit_test_that_fires_it():
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULES_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alerts == tested


def test_the_compose_prometheus_configuration_is_valid_with_its_rules(promtool, tmp_path):
    """The whole check, files included: the rule file and the token file at the paths the
    compose services mount them, here under a temporary directory."""
    token = tmp_path / "metrics_token"
    token.write_text("a-token\n")
    config = COMPOSE_PROMETHEUS.read_text()
    config = config.replace("/etc/prometheus/alerts.yml", str(RULES))
    config = config.replace("/run/secrets/metrics_token", str(token))
    (tmp_path / "prometheus.yml").write_text(config)

    output = run(promtool, "check", "config", str(tmp_path / "prometheus.yml"))

    assert "10 rules found" in output


def test_the_compose_scrapes_match_the_processes_it_runs():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    prometheus = yaml.safe_load(COMPOSE_PROMETHEUS.read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]
    }
    # One target per gunicorn worker and per Celery pool process, from their first port.
    web_workers = int(services["web"]["environment"]["GUNICORN_WORKERS"].split(":-")[1][:-1])
    web_port = int(services["web"]["environment"]["WEB_METRICS_PORT"])
    assert targets["shoene-web-process"] == [f"web:{web_port + n}" for n in range(web_workers)]
    command = services["worker"]["command"]
    concurrency = int(command[command.index("--concurrency") + 1])
    worker_port = int(services["worker"]["environment"]["CELERY_METRICS_PORT"])
    assert targets["shoene-worker"] == [f"worker:{worker_port + n}" for n in range(concurrency)]
    assert "--enable-feature=exemplar-storage" in services["prometheus"]["command"]
    for name in ("prometheus", "tempo", "loki", "promtail", "grafana", "otel-collector"):
        assert services[name]["profiles"] == ["observability"]
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"
    collector = yaml.safe_load((ROOT / "deploy/compose/otel-collector.yaml").read_text())
    assert collector["service"]["pipelines"]["traces"]["exporters"] == ["otlp/tempo"]
    assert collector["exporters"]["otlp/tempo"]["endpoint"] == "tempo:4317"


def test_grafana_links_metrics_traces_and_logs_by_trace_id():
    datasources = {
        d["uid"]: d
        for d in yaml.safe_load((GRAFANA / "datasources/shoene.yaml").read_text())["datasources"]
    }
    assert set(datasources) == {"prometheus", "tempo", "loki"}
    # Exemplar → trace: the exemplar label our histograms carry.
    [exemplar] = datasources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert exemplar == {"name": "trace_id", "datasourceUid": "tempo"}
    # Trace → logs: by the trace_id field of the JSON lines.
    to_logs = datasources["tempo"]["jsonData"]["tracesToLogsV2"]
    assert to_logs["datasourceUid"] == "loki" and "trace_id" in to_logs["query"]
    # Log line → trace: promtail keeps trace_id as structured metadata.
    [derived] = datasources["loki"]["jsonData"]["derivedFields"]
    assert (derived["matcherRegex"], derived["datasourceUid"]) == ("trace_id", "tempo")
    promtail = yaml.safe_load((ROOT / "deploy/compose/promtail.yaml").read_text())
    stages = promtail["scrape_configs"][0]["pipeline_stages"]
    assert "trace_id" in next(
        s["structured_metadata"] for s in stages if "structured_metadata" in s
    )


def dashboard_queries() -> list[str]:
    dashboard = json.loads((GRAFANA / "dashboards/shoene-operations.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_dashboard_shows_the_overviews_operational_figures():
    queries = " ".join(dashboard_queries())
    for metric in (
        "shoene_ingest_readings_total",  # ingest rate, rejection rate by reason
        "shoene_ingest_batch_duration_seconds_bucket",  # batch latency p50 / p95
        "shoene_celery_queue_depth",
        "shoene:http_5xx_share:rate5m",  # error rate
        "shoene_flag_evaluations_total",
    ):
        assert metric in queries
    dashboard = json.loads((GRAFANA / "dashboards/shoene-operations.json").read_text())
    uids = {t["datasource"]["uid"] for p in dashboard["panels"] for t in p["targets"]}
    assert uids == {"prometheus"}


@pytest.mark.django_db
def test_rules_and_dashboard_name_only_metrics_the_code_exposes():
    """A renamed metric would leave an alert that never fires and an empty panel."""
    from prometheus_client import REGISTRY

    from config.observability.metrics import _collectors

    exposed = set()
    for collector in (REGISTRY, *_collectors):
        for family in collector.collect():
            suffixes = {
                "counter": ("_total",),
                "histogram": ("_bucket", "_count", "_sum"),
            }.get(family.type, ("",))
            exposed |= {family.name + suffix for suffix in suffixes}
    exposed |= {"shoene_celery_queue_depth", "shoene_celery_workers"}  # SystemCollector's
    recorded = {
        rule["record"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    expressions = [
        rule["expr"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    ] + dashboard_queries()
    used = {name for expr in expressions for name in re.findall(r"\bshoene[a-z_:0-9]*", expr)}
    assert used - recorded - exposed == set()


def test_the_kubernetes_overlay_carries_the_same_rules_and_scrapes_every_port():
    kustomization = yaml.safe_load((K8S_OBSERVABILITY / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["../", "podmonitors.yaml", "prometheusrule.yaml"]
    rule = yaml.safe_load((K8S_OBSERVABILITY / "prometheusrule.yaml").read_text())
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"], (
        "deploy/k8s/observability/prometheusrule.yaml differs from deploy/prometheus/alerts.yml:"
        " copy the groups across"
    )
    monitors = {
        m["metadata"]["name"]: m
        for m in yaml.safe_load_all((K8S_OBSERVABILITY / "podmonitors.yaml").read_text())
    }
    for component in ("web", "worker"):
        manifest = next(yaml.safe_load_all((ROOT / f"deploy/k8s/{component}.yaml").read_text()))
        [container] = manifest["spec"]["template"]["spec"]["containers"]
        ports = {p["name"] for p in container["ports"]}
        scraped = {
            e["port"] for e in monitors[f"shoene-{component}"]["spec"]["podMetricsEndpoints"]
        }
        assert scraped == ports, component
    config = yaml.safe_load((ROOT / "deploy/k8s/configmap.yaml").read_text())["data"]
    web = next(yaml.safe_load_all((ROOT / "deploy/k8s/web.yaml").read_text()))
    [container] = web["spec"]["template"]["spec"]["containers"]
    metric_ports = sorted(p["containerPort"] for p in container["ports"] if p["name"] != "http")
    first = int(config["WEB_METRICS_PORT"])
    assert metric_ports == list(range(first, first + int(config["GUNICORN_WORKERS"])))
