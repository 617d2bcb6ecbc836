"""Drill 5: a bounded burst on localhost through gunicorn (several workers): 200 clients read
portal pages as signed-in customers and post readings. No answer is a 5xx and every accepted
reading is stored once. Latencies are printed, not asserted: the full-minute figures are in
docs/benchmarks.md (``make bench-load``).
"""

import os

import pytest

from energy.demo import DEMO_PASSWORD
from tests.integration.drills.load import load_run
from tests.integration.drills.stack import outcome, wait_until_batches_settle

pytestmark = pytest.mark.integration

CLIENTS = 200
# Short in the test suite; bench/load.py runs the full minute.
DURATION_S = float(os.environ.get("DRILL_LOAD_SECONDS", "10"))


def test_a_burst_of_200_clients_gets_no_server_error(deploy):
    deployment = deploy()
    deployment.start_web(workers=4, threads=4)
    deployment.start_worker(concurrency=2)

    result = load_run(deployment, clients=CLIENTS, duration_s=DURATION_S, password=DEMO_PASSWORD)
    settled = wait_until_batches_settle(deployment, timeout_s=180)
    stored = outcome(deployment, sent=result.accepted_readings, accepted=result.accepted_readings)
    print(f"drill 5 (load):\n{result.table()}")
    print(stored.report("drill 5 (load)") + f" readings sent={len(result.sent_readings)}")

    assert result.requests > CLIENTS  # every client got answers
    assert result.server_errors == {}
    assert all(status in (200, 302, 202) for k in result.kinds.values() for status in k.statuses)
    assert len(result.accepted_readings) == len(result.sent_readings)
    assert set(settled) == {"done"}
    assert stored.lost == 0 and stored.wrong_value == 0
    assert stored.duplicates == 0
    assert stored.rollup_mismatches == 0
