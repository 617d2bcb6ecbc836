"""One private stack (PostgreSQL, Redis) for the drills of a run; each drill gets a database
copied from the migrated, seeded template and starts the processes it needs."""

import os

import pytest

from tests.integration.drills.stack import Stack, tools_missing


@pytest.fixture(scope="session")
def drill_stack(tmp_path_factory):
    missing = tools_missing()
    if missing:
        what = ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"the drills need {what} under CI")
        pytest.skip(f"the drills need {what}")
    stack = Stack(tmp_path_factory.mktemp("drills"))
    try:
        stack.start()
        yield stack
    finally:
        stack.destroy()


@pytest.fixture
def deploy(drill_stack, request):
    """``deploy(**env)``: this drill's deployment (its own database and broker database)."""
    deployments = []

    def make(**extra_env: str):
        deployment = drill_stack.deployment(
            request.node.name.removeprefix("test_")[:40], **extra_env
        )
        deployments.append(deployment)
        return deployment

    yield make
    for deployment in deployments:
        deployment.stop_all()
