"""Drill 3: PostgreSQL crashes (immediate shutdown) while batches are processed, and is
started again once an interrupted task has been put back for a retry.

The tasks retry with backoff and finish; while the database is down the API answers 503 with
Retry-After (never 500), and the client's retry of that batch is accepted once it is back.
"""

import httpx
import pytest

from tests.integration.drills.stack import (
    IngestClient,
    batch_statuses,
    chunks,
    csv_body,
    drill_readings,
    outcome,
    wait_for,
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

    wait_for(
        lambda: batch_statuses(deployment).get("processing", 0),
        timeout_s=60,
        what="a batch processing",
    )
    drill_stack.postgres.stop(mode="immediate")  # a crash: connections cut, no checkpoint

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
    # Down until the interrupted task has failed and been put back for a retry (with backoff).
    wait_for(
        lambda: sum(worker.log_text().count("Retry in") for worker in workers),
        timeout_s=60,
        what="a task retrying while PostgreSQL is down",
        detail=lambda: "\n".join(worker.log_tail(15) for worker in workers),
    )
    drill_stack.postgres.start()
    client.post(batches[-1], key=f"drill3-{len(batches) - 1}")

    settled = wait_until_batches_settle(deployment, timeout_s=150, expected=len(batches))
    result = outcome(
        deployment, sent=readings, accepted=client.accepted, batch_ids=client.batch_ids
    )
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
        f"attempts per batch {attempts}; the client's answers {client.statuses}, "
        f"Retry-After on its 503s {client.retry_after}"
    )
    print(result.report("drill 3 (PostgreSQL restart)"))

    assert refused.status_code == 503
    assert refused.headers["Retry-After"].isdigit()
    assert refused.json()["code"] == "unavailable"
    assert status_read.status_code == 503
    assert status_read.headers["Retry-After"].isdigit()
    assert set(client.statuses) <= {202, 503}, client.statuses  # never a 500
    # Every 503 the client was answered said when to retry.
    assert len(client.retry_after) == client.statuses.get(503, 0)
    assert all(value.isdigit() for value in client.retry_after), client.retry_after
    assert settled == {"done": len(batches)}
    assert retries >= 1  # the interrupted tasks retried (with backoff) rather than failed
    assert result.accepted == result.sent
    assert result.lost == 0 and result.wrong_value == 0
    assert result.duplicates == 0
    assert result.batches_missing == 0 and result.batches_unanswered == 0
    assert result.rollup_mismatches == 0
