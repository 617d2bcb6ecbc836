"""Drill 3: PostgreSQL crashes (immediate shutdown) and restarts while batches are processed.

The tasks retry with backoff and finish; while the database is down the API answers 503 with
Retry-After (never 500), and the client's retry of that batch is accepted once it is back.
"""

import time

import httpx
import pytest

from tests.integration.drills.stack import (
    IngestClient,
    batch_statuses,
    chunks,
    csv_body,
    drill_readings,
    outcome,
    wait_until_batches_settle,
)

pytestmark = pytest.mark.integration


def test_postgres_restarted_mid_processing_loses_nothing(deploy, drill_stack):
    deployment = deploy(
        INGEST_REQUEUE_EVERY_S="2",
        INGEST_REQUEUE_RECEIVED_AFTER_S="20",
        INGEST_REQUEUE_PROCESSING_AFTER_S="60",
    )
    deployment.start_web()
    deployment.start_beat()
    workers = [deployment.start_worker(concurrency=2)]
    client = IngestClient(deployment)
    readings = drill_readings(intervals=2500)  # 8 meters: 20,000 readings
    batches = list(chunks(readings, 4000))
    for n, batch in enumerate(batches[:-1]):
        client.post(batch, key=f"drill3-{n}")

    deadline = time.monotonic() + 60
    while batch_statuses(deployment).get("processing", 0) == 0:
        assert time.monotonic() < deadline, "no batch started"
        time.sleep(0.02)
    drill_stack.postgres.stop(mode="immediate")  # a crash: connections cut, no checkpoint
    down_at = time.monotonic()

    # While it is down: the last batch is refused with 503 and Retry-After, not 500; so is a
    # status read. (Each on its own connection: a refused body is left unread, so the server
    # does not keep that connection alive.)
    authorization = {"Authorization": client.http.headers["Authorization"]}
    refused = httpx.post(
        f"{deployment.base_url}/api/v1/ingest/readings/",
        content=csv_body(batches[-1]),
        headers={
            **authorization,
            "Content-Type": "text/csv",
            "Idempotency-Key": f"drill3-{len(batches) - 1}",
        },
        timeout=30,
    )
    status_read = httpx.get(
        f"{deployment.base_url}/api/v1/ingest/batches/{client.batch_ids[0]}/",
        headers=authorization,
        timeout=30,
    )
    time.sleep(max(0.0, 5 - (time.monotonic() - down_at)))
    drill_stack.postgres.start()
    client.post(batches[-1], key=f"drill3-{len(batches) - 1}")

    settled = wait_until_batches_settle(deployment, timeout_s=150, expected=len(batches))
    result = outcome(deployment, sent=readings, accepted=len(client.accepted))
    attempts = sorted(
        row[0]
        for row in deployment.query(
            "SELECT attempts FROM energy_ingestbatch WHERE source <> 'demo'"
        )
    )
    retries = sum(worker.log_text().count("Retry in") for worker in workers)
    print(
        f"drill 3: while PostgreSQL was down the API answered {refused.status_code} "
        f"(Retry-After {refused.headers.get('Retry-After')}) to a post and "
        f"{status_read.status_code} to a status read; task retries {retries}; "
        f"attempts per batch {attempts}"
    )
    print(result.report("drill 3 (PostgreSQL restart)"))

    assert refused.status_code == 503
    assert refused.headers["Retry-After"].isdigit()
    assert refused.json()["code"] == "unavailable"
    assert status_read.status_code == 503
    assert settled == {"done": len(batches)}
    assert retries >= 1  # the interrupted tasks retried (with backoff) rather than failed
    assert result.accepted == result.sent
    assert result.lost == 0 and result.wrong_value == 0
    assert result.duplicates == 0
    assert result.rollup_mismatches == 0
