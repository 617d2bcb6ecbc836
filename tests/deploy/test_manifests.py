"""deploy/k8s and docker-compose.yml: valid against the Kubernetes schemas (kubernetes-validate,
offline) and holding what operating Shoene relies on."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# The oldest Kubernetes version still supported upstream that we promise to run on.
KUBERNETES_VERSION = "1.30.0"


def kustomize_resources() -> list[dict]:
    """Every object kustomization.yaml lists, with its namespace and image as kustomize sets."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    images = {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization["images"]}
    objects = []
    for name in kustomization["resources"]:
        for document in yaml.safe_load_all((K8S / name).read_text()):
            if document is None:
                continue
            if document["kind"] != "Namespace":
                document["metadata"]["namespace"] = kustomization["namespace"]
            for container in _containers(document):
                container["image"] = images.get(container["image"], container["image"])
            objects.append(document)
    return objects


def _containers(document: dict) -> list[dict]:
    spec = document.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    return pod.get("containers", [])


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return kustomize_resources()


def test_kustomization_lists_every_manifest_and_each_file_exists():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk


def test_every_object_is_valid_against_the_kubernetes_schema(objects):
    errors = []
    for document in objects:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{document['kind']}/{document['metadata']['name']}: {exc.message}")
    assert errors == []


def test_the_web_deployment_is_probed_and_served(objects):
    web = by_kind(objects, "Deployment")["shoene-web"]
    (container,) = _containers(web)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["command"][:3] == ["gunicorn", "-c", "config/gunicorn.py"]
    assert web["spec"]["replicas"] >= 2
    service = by_kind(objects, "Service")["shoene-web"]
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    ingress = by_kind(objects, "Ingress")["shoene"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "shoene-web"


def test_workers_scale_and_beat_runs_alone(objects):
    deployments = by_kind(objects, "Deployment")
    hpa = by_kind(objects, "HorizontalPodAutoscaler")["shoene-worker"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "shoene-worker"
    assert hpa["spec"]["minReplicas"] >= 1 < hpa["spec"]["maxReplicas"]
    (worker,) = _containers(deployments["shoene-worker"])
    assert "worker" in worker["command"]
    # Its own probe, of its own node (run against a real worker in
    # tests/integration/test_worker_probe.py); web readiness does not ask the workers.
    assert "inspect ping -d celery@$HOSTNAME" in worker["livenessProbe"]["exec"]["command"][-1]
    assert "readinessProbe" not in worker
    beat = deployments["shoene-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert "beat" in _containers(beat)[0]["command"]


def test_workers_scale_on_the_queue_depth_the_web_exports(objects):
    from django.conf import settings

    from config.observability.metrics import SystemCollector

    hpa = by_kind(objects, "HorizontalPodAutoscaler")["shoene-worker"]
    external = [m["external"] for m in hpa["spec"]["metrics"] if m["type"] == "External"]
    assert len(external) == 1
    (queue_depth,) = external
    # The name SystemCollector serves at /metrics (its first family; the worker ping follows).
    exported = next(iter(SystemCollector().collect())).name
    assert queue_depth["metric"]["name"] == exported == "shoene_celery_queue_depth"
    # The queue ingest batches wait in (no task routes: every task goes to the default queue).
    assert queue_depth["metric"]["selector"]["matchLabels"] == {
        "queue": settings.CELERY_TASK_DEFAULT_QUEUE
    }
    assert queue_depth["target"]["type"] == "AverageValue"
    assert int(queue_depth["target"]["averageValue"]) > 0


def test_migrations_run_as_a_job(objects):
    job = by_kind(objects, "Job")["shoene-migrate"]
    assert "migrate" in " ".join(_containers(job)[0]["command"])


def test_disruption_budgets_cover_web_and_workers(objects):
    deployments = by_kind(objects, "Deployment")
    budgets = by_kind(objects, "PodDisruptionBudget")
    for name in ("shoene-web", "shoene-worker"):
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector == deployments[name]["spec"]["selector"]["matchLabels"]


def test_every_pod_reads_the_config_map_and_secret_that_exist(objects):
    config_maps = by_kind(objects, "ConfigMap")
    secrets = by_kind(objects, "Secret")
    pods = [o for o in objects if o["kind"] in ("Deployment", "Job")]
    assert len(pods) == 4
    for pod in pods:
        for container in _containers(pod):
            sources = container["envFrom"]
            assert {s["configMapRef"]["name"] for s in sources if "configMapRef" in s} <= set(
                config_maps
            )
            assert {s["secretRef"]["name"] for s in sources if "secretRef" in s} <= set(secrets)
            assert container["image"].startswith("registry.example.com/shoene:")
    assert config_maps["shoene-config"]["data"]["DJANGO_SETTINGS_MODULE"] == (
        "config.settings.production"
    )
    assert "DJANGO_SECRET_KEY" in secrets["shoene-secrets"]["stringData"]


# --- docker-compose.yml -------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_stack_with_health_checks_and_restarts(compose):
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping -d celery@$$HOSTNAME" in services["worker"]["healthcheck"]["test"][-1]
    assert services["web"]["command"][:3] == ["gunicorn", "-c", "config/gunicorn.py"]
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["environment"]["DJANGO_SETTINGS_MODULE"] == (
        "config.settings.production"
    )


def test_the_observability_profile_wires_collector_prometheus_and_grafana(compose):
    services = compose["services"]
    for name in ("otel-collector", "prometheus", "grafana"):
        assert services[name]["profiles"] == ["observability"]
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in services["web"]["environment"]
    prometheus = yaml.safe_load((ROOT / "deploy/compose/prometheus.yml").read_text())
    (web_job,) = [j for j in prometheus["scrape_configs"] if j["job_name"] == "shoene-web"]
    assert web_job["metrics_path"] == "/metrics"
    assert web_job["static_configs"][0]["targets"] == ["web:8000"]
    assert web_job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    assert compose["secrets"]["metrics_token"]["environment"] == "METRICS_SCRAPE_TOKEN"
    collector = yaml.safe_load((ROOT / "deploy/compose/otel-collector.yaml").read_text())
    assert set(collector["service"]["pipelines"]) == {"traces", "metrics"}
    mounted = [volume.split(":")[0] for volume in services["otel-collector"]["volumes"]]
    assert all((ROOT / path).exists() for path in mounted)
