"""The edge gateway's parts: buffer, sources, sending, backoff and circuit breaker, settings.

The server is the gateway's outside world: here it is an httpx.MockTransport; the drill
(tests/integration/drills/test_drill_gateway.py) runs the gateway against the real one.
"""

import argparse
import json
import random

import httpx
import pytest

from gateway.buffer import Buffer
from gateway.run import Gateway
from gateway.sender import Backoff, CircuitBreaker, Result, batch_send
from gateway.settings import GatewaySettings, SettingsError, settings_from
from gateway.sources import CsvTailSource, SimulatedMeterSource


def readings(n: int, meter: str = "E-1", day: int = 1) -> list[tuple[str, str, float]]:
    return [
        (meter, f"2026-01-{day:02d}T{i // 2:02d}:{i % 2 * 30:02d}:00+09:00", i / 10)
        for i in range(n)
    ]


def test_a_batch_keeps_its_key_and_bytes_until_confirmed_even_across_a_restart(tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", capacity=100)
    buffer.add(readings(5), source_state="s1")
    first = buffer.next_batch(max_readings=3, max_wait_s=0)
    buffer.failed_attempt(first.key, "timeout")
    buffer.close()

    reopened = Buffer(tmp_path / "b.sqlite3", capacity=100)
    again = reopened.next_batch(max_readings=3, max_wait_s=0)

    assert (again.key, again.body(), again.attempts) == (first.key, first.body(), 1)
    assert [r[1][-14:-6] for r in again.readings] == ["00:00:00", "00:30:00", "01:00:00"]
    assert reopened.source_state() == "s1"
    assert reopened.confirm(again.key) == 3
    rest = reopened.next_batch(max_readings=3, max_wait_s=0)
    assert rest.key != first.key and len(rest.readings) == 2
    assert reopened.status().confirmed_total == 3


def test_a_partial_batch_waits_for_more_readings_until_max_wait(tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", capacity=100)
    buffer.add(readings(2), source_state="s")
    assert buffer.next_batch(max_readings=10, max_wait_s=60) is None
    assert len(buffer.next_batch(max_readings=10, max_wait_s=0).readings) == 2


def test_a_refused_batch_is_kept_aside_and_not_sent_again(tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", capacity=100)
    buffer.add(readings(2), source_state="s")
    batch = buffer.next_batch(max_readings=10, max_wait_s=0)
    assert buffer.refuse(batch.key, "HTTP 400: bad") == 2
    assert buffer.next_batch(max_readings=10, max_wait_s=0) is None
    assert buffer.status().refused_total == 2
    assert buffer.db.execute("SELECT count(*) FROM refused").fetchone()[0] == 2


def test_drop_oldest_says_what_it_dropped_and_spares_the_batch_in_flight(tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", capacity=100)
    buffer.add(readings(4, "A") + readings(4, "B"), source_state="s")
    in_flight = buffer.next_batch(max_readings=2, max_wait_s=0)

    dropped = buffer.drop_oldest(3)

    assert [(d["meter"], d["count"]) for d in dropped] == [("A", 2), ("B", 1)]
    assert dropped[0]["first_ts"].startswith("2026-01-01T01:00")
    assert buffer.count() == 5  # 2 in flight + 3 of B
    assert len(buffer.next_batch(max_readings=2, max_wait_s=0).readings) == 2  # still in flight
    assert buffer.status().dropped_total == 3
    assert buffer.status().as_dict()["nothing_dropped"] is False
    assert in_flight.key == buffer.next_batch(max_readings=2, max_wait_s=0).key


def test_the_csv_source_reads_complete_lines_from_where_it_stopped(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        "meter,ts,value\n"
        "E-1,2026-01-01T00:00:00+09:00,0.5\n"
        "E-1,not a time,0.5\n"  # skipped, and logged
        "E-1,2026-01-01T00:30:00,0.5\n"  # no time zone: skipped
        "E-1,2026-01-01T01:00:00+09:00,0.7\n"
        "E-1,2026-01-01T01:30:00+09:00,0."  # still being written
    )
    source = CsvTailSource(path)
    first, state = source.read(None, limit=100)
    assert [r[2] for r in first] == [0.5, 0.7]
    assert source.read(state, limit=100)[0] == []

    with path.open("a") as file:
        file.write("9\n")
    more, state = source.read(state, limit=100)
    assert more == [("E-1", "2026-01-01T01:30:00+09:00", 0.9)]

    path.write_text("meter,ts,value\nE-1,2026-01-02T00:00:00+09:00,1.0\n")  # replaced, shorter
    assert [r[2] for r in source.read(state, limit=100)[0]] == [1.0]


def test_a_simulated_meter_catches_up_interval_by_interval(monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("gateway.sources.time.time", lambda: clock[0])
    source = SimulatedMeterSource(["S-1", "S-2"], interval_minutes=30, speed=60.0)
    none_yet, state = source.read(None, limit=100)
    clock[0] += 3 * 30  # 90 s at 60× = 90 minutes
    caught_up, state = source.read(state, limit=100)

    assert none_yet == []
    stamps = [r[1] for r in caught_up if r[0] == "S-1"]
    assert len(stamps) == 3  # the three intervals that have ended in 90 simulated minutes
    assert stamps == sorted(stamps)
    assert json.loads(state)["last"] == stamps[-1]


def _send(handler, tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", capacity=10)
    buffer.add(readings(2), source_state="s")
    batch = buffer.next_batch(max_readings=10, max_wait_s=0)
    http = httpx.Client(base_url="http://shoene.test", transport=httpx.MockTransport(handler))
    settings = GatewaySettings(source="csv:x", api_key="k", auth_scheme="Bearer")
    return batch, batch_send(http, batch, settings=settings)


def test_a_batch_is_sent_with_its_key_and_the_api_key(tmp_path):
    seen = {}

    def handler(request):
        seen.update(request.headers)
        seen["body"] = request.content
        return httpx.Response(202, headers={"Location": "/b/1/"})

    batch, answer = _send(handler, tmp_path)
    assert answer.result is Result.CONFIRMED
    assert seen["idempotency-key"] == batch.key
    assert seen["authorization"] == "Bearer k"
    assert json.loads(seen["body"])["readings"][0] == {
        "meter": "E-1",
        "ts": "2026-01-01T00:00:00+09:00",
        "value": 0.0,
    }


@pytest.mark.parametrize(
    ("status", "headers", "result", "retry_after_s"),
    [
        (503, {"Retry-After": "7"}, Result.RETRY, 7.0),
        (500, {}, Result.RETRY, 0.0),
        (429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, Result.RETRY, 0.0),
        (401, {}, Result.RETRY, 0.0),  # a key to fix: keep the readings, keep trying
        (400, {}, Result.REFUSED, 0.0),
        (413, {}, Result.REFUSED, 0.0),
    ],
)
def test_answers_map_to_retry_or_refusal(tmp_path, status, headers, result, retry_after_s):
    _, answer = _send(lambda request: httpx.Response(status, headers=headers), tmp_path)
    assert (answer.result, answer.retry_after_s) == (result, retry_after_s)


def test_network_errors_are_retried(tmp_path):
    def handler(request):
        raise httpx.ConnectError("refused")

    _, answer = _send(handler, tmp_path)
    assert answer.result is Result.RETRY
    assert "ConnectError" in answer.detail


def test_backoff_grows_to_its_cap_with_full_jitter_and_honours_retry_after():
    backoff = Backoff(base_s=1, cap_s=8, rng=random.Random(1))
    ceilings = [1, 2, 4, 8, 8, 8]
    waits = [backoff.next_wait_s() for _ in ceilings]
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings, strict=True))
    assert backoff.next_wait_s(retry_after_s=5) >= 5
    assert backoff.next_wait_s(retry_after_s=3600) <= 8  # a server's wish, within the cap
    backoff.reset()
    assert backoff.next_wait_s() <= 1


def test_the_circuit_opens_after_failures_and_a_trial_decides():
    now = [0.0]
    breaker = CircuitBreaker(failures=3, open_s=10, clock=lambda: now[0])
    assert [breaker.failure() for _ in range(3)] == [False, False, True]
    assert breaker.state == "open" and not breaker.allows()
    now[0] = 10
    assert breaker.state == "half-open" and breaker.allows()
    assert breaker.failure() is True  # the trial failed: open again
    assert not breaker.allows()
    now[0] = 20
    breaker.success()
    assert breaker.state == "closed" and breaker.failures == 0


def test_a_full_buffer_pauses_reading_and_drops_nothing(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("meter,ts,value\n" + "".join(f"{m},{ts},{v}\n" for m, ts, v in readings(30)))
    gateway = Gateway(
        GatewaySettings(
            source=f"csv:{path}",
            buffer_path=tmp_path / "b.sqlite3",
            max_buffered_readings=10,
            batch_max_readings=5,
        )
    )
    assert gateway.read_once() == 10
    assert gateway.read_once() == 0 and gateway.paused
    gateway.buffer.confirm(gateway.buffer.next_batch(max_readings=5, max_wait_s=0).key)
    assert gateway.read_once() == 5  # resumed where it stopped
    assert gateway.buffer.status().dropped_total == 0


def test_settings_come_from_options_then_environment_then_defaults(tmp_path):
    args = argparse.Namespace(source="simulated:S-1", batch_max_readings="50")
    environ = {"SHOENE_GATEWAY_BATCH_MAX_READINGS": "70", "SHOENE_GATEWAY_BACKOFF_CAP_S": "30"}
    settings = settings_from(args, environ)
    assert settings.batch_max_readings == 50
    assert settings.backoff_cap_s == 30.0
    assert settings.breaker_open_s == 60.0
    with pytest.raises(SettingsError, match="on_full"):
        settings_from(argparse.Namespace(source="csv:x", on_full="explode"), {})
    with pytest.raises(SettingsError, match="must be a float"):
        settings_from(argparse.Namespace(source="csv:x", backoff_cap_s="soon"), {})
