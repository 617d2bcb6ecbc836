"""Drill 4: the same batch delivered twice at once to two workers, and the same readings in
two batches processed at once: each reading is stored once.

How: a worker locks the batch's row for the whole of its processing (the second waits, then
finds it done), and batches for the same meters lock those meters; the upsert itself counts a
reading already stored as a duplicate.
"""

import time

import pytest

from tests.integration.drills.stack import (
    IngestClient,
    drill_readings,
    outcome,
    send_task,
    wait_until_batches_settle,
)

pytestmark = pytest.mark.integration


def _ran_on(workers, batch_ids: list[str], timeout_s: float = 30) -> list[bool]:
    """Which workers ran (and finished) a task for any of these batches."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [worker.log_text().splitlines() for worker in workers]
        ran = [
            [
                batch_id
                for batch_id in batch_ids
                if any("succeeded" in x and batch_id in x for x in log)
            ]
            for log in lines
        ]
        if sum(len(r) for r in ran) >= len(batch_ids) * (2 if len(batch_ids) == 1 else 1):
            return [bool(r) for r in ran]
        if time.monotonic() > deadline:
            return [bool(r) for r in ran]
        time.sleep(0.1)


def _wait_for_lock_waiters(deployment, *, count: int, timeout_s: float) -> None:
    """Until ``count`` sessions of the drill's database wait for a lock (the workers, at the
    meters the drill holds)."""
    deadline = time.monotonic() + timeout_s
    while True:
        ((waiting,),) = deployment.query(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{waiting} of {count} workers reached the meters' lock")
        time.sleep(0.05)


def test_one_batch_twice_and_one_set_of_readings_twice_are_stored_once(deploy):
    deployment = deploy()
    deployment.start_web()
    client = IngestClient(deployment)
    # Both workers ready first: each takes one message at a time (prefetch 1, acks late), so
    # while one processes the batch the other, idle, is given the second message. (Started
    # after the messages, one worker could be up and done before the other had connected.)
    workers = [deployment.start_worker(), deployment.start_worker()]

    # One batch, and a second message for it (a redelivery) right after.
    first = drill_readings(intervals=2500)  # 20,000 readings: a few seconds' work
    batch_id = client.post(first, key="drill4-once")
    send_task(deployment, "energy.tasks.ingest_batch_process", batch_id)
    wait_until_batches_settle(deployment, timeout_s=120, expected=1)
    both_ran = _ran_on(workers, [batch_id])
    (attempts,) = deployment.query(
        "SELECT attempts FROM energy_ingestbatch WHERE id = %s", [batch_id]
    )[0]

    # The same readings in two batches (a gateway resending without its key), at once: the
    # drill holds the meters' rows locked until both workers wait for them (a batch takes
    # well under a second, so without the hold one worker could finish both), then lets go.
    for worker in workers:
        worker.stop()
    workers = [deployment.start_worker(), deployment.start_worker()]
    second = drill_readings(intervals=2500, offset=2500)
    with deployment.stack.postgres.connect(deployment.database) as hold:
        hold.execute("BEGIN")
        hold.execute("SELECT id FROM energy_meter WHERE serial LIKE 'DRILL-%%' FOR UPDATE")
        twins = [
            client.post(second, key="drill4-twin-a"),
            client.post(second, key="drill4-twin-b"),
        ]
        _wait_for_lock_waiters(deployment, count=2, timeout_s=60)
        hold.execute("COMMIT")
    wait_until_batches_settle(deployment, timeout_s=120, expected=3)
    counts = deployment.query(
        "SELECT accepted_count, duplicate_count FROM energy_ingestbatch WHERE id = ANY(%s)",
        [twins],
    )
    twins_ran = _ran_on(workers, twins)

    result = outcome(
        deployment, sent=first + second, accepted=client.accepted, batch_ids=client.batch_ids
    )
    print(
        f"drill 4: one batch delivered twice ran on workers {both_ran} with attempts={attempts}; "
        f"twin batches ran on workers {twins_ran} with (accepted, duplicates) {sorted(counts)}"
    )
    print(result.report("drill 4 (duplicate delivery)"))

    assert all(both_ran), "both workers should have been given the batch"
    assert all(twins_ran), "each worker should have processed one of the twins"
    assert attempts == 1  # the second delivery found it done and did nothing
    assert sorted(counts) == [(0, len(second)), (len(second), 0)]
    assert result.lost == 0 and result.wrong_value == 0
    assert result.duplicates == 0
    assert result.batches_missing == 0 and result.batches_unanswered == 0
    assert result.stored == len(first) + len(second)
    assert result.rollup_mismatches == 0
