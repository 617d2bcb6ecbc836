"""Drill 1: the worker is SIGKILLed in the middle of large batches; a new worker finishes them.

The killed worker's messages stay unacknowledged in Redis until the visibility timeout (an
hour); the sweeper (a beat entry) queues the batches again as soon as no worker holds them.
"""

import pytest

from tests.integration.drills.stack import (
    IngestClient,
    batch_statuses,
    chunks,
    drill_readings,
    outcome,
    stored_count,
    wait_for,
    wait_until_batches_settle,
)

pytestmark = pytest.mark.integration

SWEEPER = {
    "INGEST_REQUEUE_EVERY_S": "1",
    "INGEST_REQUEUE_RECEIVED_AFTER_S": "5",
    "INGEST_REQUEUE_PROCESSING_AFTER_S": "3",
}


def test_a_worker_killed_mid_batch_loses_nothing(deploy):
    deployment = deploy(**SWEEPER)
    deployment.start_web()
    deployment.start_beat()
    worker = deployment.start_worker(concurrency=2)
    client = IngestClient(deployment)
    readings = drill_readings(intervals=6000)  # 8 meters: 48,000 readings
    # Four batches of 12,000: each keeps a worker process busy for a second or more.
    for n, batch in enumerate(chunks(readings, 12_000)):
        client.post(batch, key=f"drill1-{n}")

    wait_for(
        lambda: batch_statuses(deployment).get("processing", 0),
        timeout_s=60,
        what="a batch processing",
        detail=worker.log_tail,
    )
    worker.kill()  # SIGKILL to the worker and its pool: no cleanup, no ack, no rollback sent
    at_kill = batch_statuses(deployment)
    stored_at_kill = stored_count(deployment)
    print(f"drill 1: killed the worker with batches {at_kill}, {stored_at_kill} readings stored")
    # Read after the kill: a batch still "processing" now was cut off mid-way.
    assert at_kill.get("processing", 0) >= 1, "no batch was mid-processing at the kill"
    # All or nothing: only the batches that reached done have readings stored.
    assert stored_at_kill == 12_000 * at_kill.get("done", 0)

    deployment.start_worker(concurrency=2)
    batches = wait_until_batches_settle(deployment, timeout_s=120)
    result = outcome(
        deployment, sent=readings, accepted=client.accepted, batch_ids=client.batch_ids
    )
    attempts = deployment.query("SELECT max(attempts) FROM energy_ingestbatch")[0][0]
    print(result.report("drill 1 (worker SIGKILL)") + f" max_attempts={attempts}")

    assert batches == {"done": 4}
    assert result.accepted == result.sent
    assert result.lost == 0 and result.wrong_value == 0
    assert result.duplicates == 0
    assert result.batches_missing == 0 and result.batches_unanswered == 0
    assert result.stored == len(readings)
    assert result.rollup_mismatches == 0
    assert attempts >= 2  # the killed batch was started again
