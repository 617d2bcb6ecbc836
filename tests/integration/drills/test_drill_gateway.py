"""Edge gateway drill: the server is down for a stretch (and the gateway itself is SIGKILLed and
restarted meanwhile) while a meter keeps appending to the CSV file the gateway reads. After the
server returns, every reading arrives exactly once, and in order per meter."""

import json
import sys

import pytest

from tests.integration.drills.stack import (
    AppProcess,
    drill_readings,
    gateway_env,
    gateway_status,
    outcome,
    wait_for,
    wait_until_batches_settle,
)

pytestmark = pytest.mark.integration


def test_the_gateway_delivers_everything_once_and_in_order_across_an_outage(deploy, tmp_path):
    deployment = deploy()
    web = deployment.start_web()
    deployment.start_worker(concurrency=2)
    # As a logger writes them: every meter's reading for an interval, interval after interval.
    readings = sorted(drill_readings(intervals=400), key=lambda r: (r[1], r[0]))
    meter_csv = tmp_path / "meter.csv"
    meter_csv.write_text("meter,ts,value\n")
    buffer_path = tmp_path / "gateway.sqlite3"
    env = gateway_env(deployment, source_csv=meter_csv, buffer_path=buffer_path)
    command = [sys.executable, "-m", "gateway", "run"]
    log_dir = deployment.stack.log_dir
    gateway = AppProcess(f"{deployment.database}-gateway-1", command, env, log_dir)
    deployment.processes.append(gateway)

    # The meter writes in four parts: with the server up; with the server down; with the
    # gateway dead too; with a new gateway and the server still down. Each step waits for
    # what the gateway must have done by then, read from its buffer and its log.
    intervals = [readings[first : first + 8] for first in range(0, len(readings), 8)]
    parts = [intervals[:100], intervals[100:200], intervals[200:300], intervals[300:]]
    sizes = [sum(len(interval) for interval in part) for part in parts]
    written = 0

    def meter_writes(part: list[list]) -> None:
        nonlocal written
        with meter_csv.open("a") as file:
            for interval in part:  # the 8 meters' readings for one interval at a time
                file.writelines(
                    f"{serial},{ts.isoformat()},{value}\n" for serial, ts, value in interval
                )
                file.flush()
                written += len(interval)

    def gateway_state(process: AppProcess) -> str:
        buffer = gateway_status(buffer_path) if buffer_path.exists() else "not created"
        return f"buffer {buffer}\n{process.log_tail()}"

    meter_writes(parts[0])
    wait_for(
        lambda: buffer_path.exists() and gateway_status(buffer_path)["confirmed_total"] >= written,
        timeout_s=60,
        what="the first readings delivered while the server is up",
        detail=lambda: gateway_state(gateway),
    )
    web.kill()  # the server is gone: connections refused
    meter_writes(parts[1])
    wait_for(
        lambda: (
            "circuit open" in gateway.log_text()
            and gateway_status(buffer_path)["buffered"] >= sizes[1]
        ),
        timeout_s=60,
        what="the gateway buffering through the outage with its circuit open",
        detail=lambda: gateway_state(gateway),
    )
    gateway.kill()  # and the gateway dies too, mid-outage
    meter_writes(parts[2])  # written while no gateway runs
    restarted = AppProcess(f"{deployment.database}-gateway-2", command, env, log_dir)
    deployment.processes.append(restarted)
    meter_writes(parts[3])
    wait_for(
        lambda: (
            "not sent" in restarted.log_text()
            and gateway_status(buffer_path)["buffered"] == written - sizes[0]
        ),
        timeout_s=60,
        what="the new gateway reading on from where the killed one stopped, still unsent",
        detail=lambda: gateway_state(restarted),
    )
    deployment.start_web()  # back on the same port

    status = wait_for(
        lambda: (
            (status := gateway_status(buffer_path))["buffered"] == 0
            and status["confirmed_total"] >= len(readings)
            and status
        ),
        timeout_s=120,
        what="every reading delivered once the server is back",
        detail=lambda: gateway_state(restarted),
    )
    wait_until_batches_settle(deployment, timeout_s=120)
    # The gateway's confirmations, reading by reading, are checked against its own buffer
    # (confirmed_total, nothing dropped or refused) and against the batches stored.
    result = outcome(deployment, sent=readings, accepted=readings)

    # In order per meter: the gateway's batches, in the order the server received them.
    order_breaks = 0
    last_ts: dict[str, str] = {}
    rows_in_batches = 0
    for (payload,) in deployment.query(
        "SELECT payload FROM energy_ingestbatch WHERE source <> 'demo' ORDER BY received_at"
    ):
        for reading in json.loads(payload)["readings"]:
            rows_in_batches += 1
            if reading["ts"] <= last_ts.get(reading["meter"], ""):
                order_breaks += 1
            last_ts[reading["meter"]] = reading["ts"]
    logs = gateway.log_text() + restarted.log_text()
    (batches,) = deployment.query("SELECT count(*) FROM energy_ingestbatch WHERE source <> 'demo'")[
        0
    ]
    print(
        f"gateway drill: {len(readings)} readings written; server down; gateway SIGKILLed "
        f"and restarted; circuit opened {logs.count('circuit open')} times, "
        f"{logs.count('not sent')} failed sends; {rows_in_batches} readings in "
        f"{batches} batches; order breaks {order_breaks}; gateway status {status}"
    )
    print(result.report("gateway drill"))

    assert "circuit open" in logs  # the outage was felt, and waited out
    assert status["dropped_total"] == 0 and status["refused_total"] == 0
    assert status["confirmed_total"] == len(readings)
    assert rows_in_batches == len(readings)  # nothing the server confirmed was sent again
    assert order_breaks == 0
    assert result.lost == 0 and result.wrong_value == 0
    assert result.duplicates == 0
    assert result.rollup_mismatches == 0
