"""Drill 2: Redis (the cache and the broker) is killed while batches are posted and processed,
and comes back empty (it keeps nothing on disk here): every queued message is gone.

Nothing accepted is lost, and nothing is refused: the API stores a batch before answering 202,
so with Redis down a post is still answered 202 (the per-key rate limit, which lives in Redis,
is skipped and counted) and the batch waits as "received"; the sweeper queues again the
batches left "received" or "processing" once Redis is back. Never a 500; a 503, if one comes,
says when to retry.
"""

import threading

import pytest

from tests.integration.drills.stack import (
    ClientThread,
    IngestClient,
    batch_statuses,
    chunks,
    drill_readings,
    outcome,
    wait_for,
    wait_until_batches_settle,
)

pytestmark = pytest.mark.integration

SWEEPER = {
    "INGEST_REQUEUE_EVERY_S": "1",
    "INGEST_REQUEUE_RECEIVED_AFTER_S": "3",
    "INGEST_REQUEUE_PROCESSING_AFTER_S": "3",
}
# Batches accepted before Redis is killed, and while it is down, before it is started again.
BEFORE_KILL = 8
WHILE_DOWN = 3


def test_redis_lost_and_restarted_empty_loses_no_batch(deploy, drill_stack):
    deployment = deploy(**SWEEPER)
    deployment.start_web()
    deployment.start_beat()
    workers = [deployment.start_worker(concurrency=2)]
    client = IngestClient(deployment)
    readings = drill_readings(intervals=1200)  # 8 meters: 9,600 readings
    batches = list(chunks(readings, 320))  # 30 batches
    posted_while_down: list[str] = []
    killed, restarted = threading.Event(), threading.Event()

    def post_all() -> None:
        for n, batch in enumerate(batches):
            if n == BEFORE_KILL and not killed.wait(timeout=60):
                raise AssertionError("Redis was not killed within 60 s")
            batch_id = client.post(batch, key=f"drill2-{n}")
            if killed.is_set() and not restarted.is_set():  # sent and answered with Redis down
                posted_while_down.append(batch_id)

    poster = ClientThread("drill 2 poster", post_all)
    poster.start()
    wait_for(
        lambda: len(client.batch_ids) >= BEFORE_KILL,
        timeout_s=60,
        what=f"{BEFORE_KILL} batches accepted",
        clients=[poster],
        detail=lambda: f"answers {client.statuses}",
    )
    drill_stack.redis.kill()
    at_kill = batch_statuses(deployment)
    killed.set()
    # Batches keep arriving with the broker and the cache down: each is stored and accepted.
    wait_for(
        lambda: len(posted_while_down) >= WHILE_DOWN,
        timeout_s=60,
        what=f"{WHILE_DOWN} batches accepted while Redis was down",
        clients=[poster],
        detail=lambda: f"answers {client.statuses}, Retry-After {client.retry_after}",
    )
    restarted.set()
    drill_stack.redis.start()  # empty: the queue and the unacknowledged messages are gone
    poster.finish(timeout_s=180)

    settled = wait_until_batches_settle(deployment, timeout_s=150, expected=len(batches))
    result = outcome(
        deployment, sent=readings, accepted=client.accepted, batch_ids=client.batch_ids
    )
    print(
        f"drill 2: Redis killed with batches {at_kill}; {len(posted_while_down)} batches "
        f"accepted while it was down; answers {client.statuses}; "
        f"Retry-After on the 503s {client.retry_after}"
    )
    print(result.report("drill 2 (Redis restart)"))

    assert settled == {"done": len(batches)}
    assert set(client.statuses) <= {202, 503}, client.statuses  # never a 500
    # Every 503 said when to retry (and none is expected: the API needs no Redis to store).
    assert len(client.retry_after) == client.statuses.get(503, 0)
    assert all(value.isdigit() for value in client.retry_after), client.retry_after
    assert len(posted_while_down) >= WHILE_DOWN
    assert result.accepted == result.sent
    assert result.lost == 0 and result.wrong_value == 0
    assert result.duplicates == 0
    assert result.batches_missing == 0 and result.batches_unanswered == 0
    assert result.rollup_mismatches == 0
    assert all(worker.running for worker in workers)  # they reconnected by themselves
