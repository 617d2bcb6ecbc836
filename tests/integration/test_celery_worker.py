"""A posted batch is processed by a real Celery worker process, through Redis, into PostgreSQL."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from energy.models import BatchStatus, DailyUsage, IngestBatch, Reading

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _wait_for_status(client, url: str, worker, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        batch = client.get(url).json()
        if batch["status"] in (BatchStatus.DONE, BatchStatus.FAILED):
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch still {batch['status']}; worker log:\n{worker.log_tail()}")


def test_posted_batch_reaches_done_through_a_real_worker(
    celery_worker_process, gateway_client, electricity_meter
):
    start = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)  # 2026-01-16 00:00 in Sapporo
    rows = [(start + timedelta(minutes=30 * i), 0.1 + i / 100) for i in range(96)]
    body = (
        "meter,ts,value\n"
        + "".join(f"E-0001,{ts.isoformat()},{value:.2f}\n" for ts, value in rows)
        + "E-0001,2026-01-16T00:10:00+09:00,1.0\n"
    )  # off the grid: rejected

    response = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")

    assert response.status_code == 202
    assert response.json()["status"] == BatchStatus.RECEIVED  # the worker, not the request, works
    batch = _wait_for_status(gateway_client, response["Location"], celery_worker_process)
    assert batch["status"] == BatchStatus.DONE, batch
    assert batch["counts"] == {
        "accepted": 96,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 1,
    }
    assert batch["rejected_rows"][0]["reason"] == "off_grid"
    assert Reading.objects.filter(meter=electricity_meter).count() == 96
    days = {d.date.isoformat(): d for d in DailyUsage.objects.filter(meter=electricity_meter)}
    assert sorted(days) == ["2026-01-16", "2026-01-17"]
    assert days["2026-01-16"].intervals == 48
    assert days["2026-01-16"].total == pytest.approx(sum(v for _, v in rows[:48]))
    assert IngestBatch.objects.get(pk=batch["id"]).attempts == 1


def test_the_same_batch_posted_twice_is_stored_once(
    celery_worker_process, gateway_client, electricity_meter
):
    body = (
        "meter,ts,value\n"
        "E-0001,2026-01-10T00:00:00+09:00,0.4\n"
        "E-0001,2026-01-10T00:30:00+09:00,0.6\n"
    )

    first = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")
    _wait_for_status(gateway_client, first["Location"], celery_worker_process)
    second = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")
    batch = _wait_for_status(gateway_client, second["Location"], celery_worker_process)

    assert batch["counts"] == {
        "accepted": 0,
        "duplicate": 2,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    assert Reading.objects.filter(meter=electricity_meter).count() == 2
