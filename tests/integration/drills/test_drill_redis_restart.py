"""Drill 2: Redis (the broker) is killed while batches are posted and processed, and comes back
empty (it keeps nothing on disk here): every queued message is gone.

Nothing accepted is lost: the API stores a batch before answering 202 (a broker that is down
only means the batch waits as "received"), and the sweeper queues again the batches left
"received" or "processing" once the broker is back. Where a request needs Redis itself (the
per-key rate limit) the API answers 503 with Retry-After and the client retries: never 500.
"""

import threading
import time

import pytest

from tests.integration.drills.stack import (
    IngestClient,
    batch_statuses,
    chunks,
    drill_readings,
    outcome,
    wait_until_batches_settle,
)

pytestmark = pytest.mark.integration

SWEEPER = {
    "INGEST_REQUEUE_EVERY_S": "1",
    "INGEST_REQUEUE_RECEIVED_AFTER_S": "3",
    "INGEST_REQUEUE_PROCESSING_AFTER_S": "3",
}


def test_redis_lost_and_restarted_empty_loses_no_batch(deploy, drill_stack):
    deployment = deploy(**SWEEPER)
    deployment.start_web()
    deployment.start_beat()
    workers = [deployment.start_worker(concurrency=2)]
    client = IngestClient(deployment)
    readings = drill_readings(intervals=1200)  # 8 meters: 9,600 readings
    batches = list(chunks(readings, 320))  # 30 batches

    def post_all() -> None:
        for n, batch in enumerate(batches):
            client.post(batch, key=f"drill2-{n}")
            time.sleep(0.1)

    poster = threading.Thread(target=post_all)
    poster.start()
    while len(client.batch_ids) < 8:
        time.sleep(0.05)
    drill_stack.redis.kill()
    at_kill = batch_statuses(deployment)
    time.sleep(4)  # batches keep arriving with the broker down
    down_for = len(client.batch_ids)
    drill_stack.redis.start()  # empty: the queue and the unacknowledged messages are gone
    poster.join(timeout=180)
    assert not poster.is_alive()

    settled = wait_until_batches_settle(deployment, timeout_s=150, expected=len(batches))
    result = outcome(deployment, sent=readings, accepted=len(client.accepted))
    print(
        f"drill 2: Redis killed with batches {at_kill}; {down_for} batches accepted by then; "
        f"answers {client.statuses}"
    )
    print(result.report("drill 2 (Redis restart)"))

    assert settled == {"done": len(batches)}
    assert all(status in (202, 503) for status in client.statuses), client.statuses
    assert all(value.isdigit() for value in client.retry_after)  # every 503 says when to retry
    assert result.accepted == result.sent
    assert result.lost == 0 and result.wrong_value == 0
    assert result.duplicates == 0
    assert result.rollup_mismatches == 0
    assert all(worker.running for worker in workers)  # they reconnected by themselves
