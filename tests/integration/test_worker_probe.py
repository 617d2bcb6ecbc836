"""The workers' own probe, exactly as docker-compose.yml and deploy/k8s/worker.yaml run it:
it passes for a worker that answers and fails, in bounded time, for one that is not there."""

import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import reverse

from tests import factories
from tests.integration.conftest import PROJECT_ROOT, WorkerProcess, _require

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def probe_commands() -> dict[str, str]:
    """The worker probe's shell command in compose and in Kubernetes."""
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    kind, command = compose["services"]["worker"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    worker = yaml.safe_load((PROJECT_ROOT / "deploy/k8s/worker.yaml").read_text().split("---")[0])
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    sh, dash_c, k8s_command = container["livenessProbe"]["exec"]["command"]
    assert (sh, dash_c) == ("sh", "-c")
    return {"compose": command.replace("$$", "$"), "kubernetes": k8s_command}


def run_probe(command: str, *, hostname: str) -> subprocess.CompletedProcess:
    assert shlex.split(command)[:6] == ["celery", "-A", "config", "inspect", "ping", "-d"]
    env = {
        **os.environ,
        "HOSTNAME": hostname,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        ["sh", "-c", command],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # the probes' own --timeout is 5 and 10 s
        check=False,
    )


@pytest.fixture(scope="module")
def probed_worker(tmp_path_factory):
    """A worker named as compose and Kubernetes name it: celery@<its host name>."""
    _require(bool(settings.REDIS_URL), "Redis (REDIS_URL)")
    hostname = f"probe-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(
        log_path=tmp_path_factory.mktemp("probe") / "worker.log", name=f"celery@{hostname}"
    )
    try:
        worker.wait_ready()
        yield hostname
    finally:
        worker.stop()


@pytest.mark.parametrize("where", ["compose", "kubernetes"])
def test_the_worker_probe_passes_for_a_worker_that_answers(probed_worker, where):
    answer = run_probe(probe_commands()[where], hostname=probed_worker)

    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "pong" in answer.stdout


@pytest.mark.parametrize("where", ["compose", "kubernetes"])
def test_the_worker_probe_fails_when_its_worker_does_not_answer(probed_worker, where):
    # Another host's name: this pod's worker is gone, even though another worker is up.
    answer = run_probe(probe_commands()[where], hostname=f"gone-{uuid.uuid4().hex[:8]}")

    assert answer.returncode != 0
    assert "No nodes replied" in answer.stdout + answer.stderr


def test_the_worker_metric_counts_the_workers_that_answer(probed_worker, client):
    client.force_login(factories.UserFactory(username="ops", is_staff=True))

    response = client.get(reverse("metrics"))

    assert response.status_code == 200
    [line] = [
        line
        for line in response.content.decode().splitlines()
        if line.startswith("shoene_celery_workers ")
    ]
    assert float(line.split()[1]) >= 1
