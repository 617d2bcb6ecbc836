"""``energy.tasks.ingest_batch_process`` on stored batches (tasks run in-process here)."""

from datetime import UTC, datetime

import orjson
import pytest

from energy.ingest.services import batch_receive
from energy.models import BatchStatus, DailyUsage, IngestBatch, Reading, ReadingRevision
from energy.tasks import ingest_batch_process
from tests import factories

READINGS = [
    {"meter": "E-0001", "ts": "2026-01-15T00:00:00+09:00", "value": 0.5},
    {"meter": "E-0001", "ts": "2026-01-15T00:30:00+09:00", "value": 0.75},
    {"meter": "E-0001", "ts": "2026-01-15T01:00:00+09:00", "value": -1},
]


def stored_batch(client, readings=READINGS) -> IngestBatch:
    """A batch as the API stores it; its queued processing is never run (no commit in tests)."""
    batch, created = batch_receive(
        client=client,
        body=orjson.dumps({"readings": readings}),
        content_type="application/json",
    )
    assert created and batch.status == BatchStatus.RECEIVED
    return batch


def outcome(batch: IngestBatch) -> dict:
    batch.refresh_from_db()
    return {
        "status": batch.status,
        "attempts": batch.attempts,
        "counts": (
            batch.accepted_count,
            batch.duplicate_count,
            batch.corrected_count,
            batch.rejected_count,
        ),
        "rejected_rows": batch.rejected_rows,
        "finished_at": batch.finished_at,
        "readings": list(
            Reading.objects.order_by("meter", "ts").values_list("meter", "ts", "value", "quality")
        ),
        "revisions": list(
            ReadingRevision.objects.order_by("id").values_list("ts", "value", "quality", "batch")
        ),
        "usage": list(DailyUsage.objects.values_list("meter", "date", "total", "intervals")),
    }


def test_the_task_processes_a_stored_batch(gateway_user, electricity_meter):
    batch = stored_batch(gateway_user)

    result = ingest_batch_process.delay(str(batch.pk)).get()

    assert result == {
        "batch": str(batch.pk),
        "status": "done",
        "accepted": 2,
        "duplicates": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 1,
    }
    after = outcome(batch)
    assert after["status"] == "done"
    assert after["attempts"] == 1
    assert after["finished_at"] is not None
    assert after["readings"] == [
        (electricity_meter.pk, datetime(2026, 1, 14, 15, 0, tzinfo=UTC), 0.5, "measured"),
        (electricity_meter.pk, datetime(2026, 1, 14, 15, 30, tzinfo=UTC), 0.75, "measured"),
    ]
    assert [(row["line"], row["reason"]) for row in after["rejected_rows"]] == [(3, "negative")]
    assert after["usage"] == [(electricity_meter.pk, datetime(2026, 1, 15).date(), 1.25, 2)]


def test_running_the_task_again_on_a_done_batch_changes_nothing(
    gateway_user, electricity_meter, ingest
):
    # Readings already stored, so the batch both corrects one and repeats one.
    ingest([{**READINGS[0], "value": 0.4}, READINGS[1]])
    batch = stored_batch(gateway_user)
    ingest_batch_process.delay(str(batch.pk))
    first = outcome(batch)

    result = ingest_batch_process.delay(str(batch.pk)).get()

    assert outcome(batch) == first
    assert first["counts"] == (0, 1, 1, 1)
    assert first["revisions"][-1][:3] == (datetime(2026, 1, 14, 15, 0, tzinfo=UTC), 0.4, "measured")
    assert result["status"] == "done"
    assert (result["duplicates"], result["corrected"]) == (1, 1)


@pytest.mark.parametrize("status", [BatchStatus.PROCESSING, BatchStatus.FAILED])
def test_a_batch_left_unfinished_is_completed(gateway_user, electricity_meter, status):
    batch = stored_batch(gateway_user)
    # As a worker lost mid-way leaves it: marked as started, nothing stored.
    IngestBatch.objects.filter(pk=batch.pk).update(
        status=status, attempts=1, error="worker lost" if status == BatchStatus.FAILED else ""
    )

    result = ingest_batch_process.apply(args=[str(batch.pk)]).get()

    after = outcome(batch)
    assert result["status"] == after["status"] == "done"
    assert after["attempts"] == 2
    assert after["counts"] == (2, 0, 0, 1)
    assert len(after["readings"]) == 2
    assert batch.error == ""


def test_a_retry_after_readings_were_stored_counts_them_as_duplicates(
    gateway_user, electricity_meter, ingest
):
    batch = stored_batch(gateway_user)
    ingest(READINGS[:2])  # the same readings, stored meanwhile by another delivery

    ingest_batch_process.delay(str(batch.pk))

    after = outcome(batch)
    assert after["status"] == "done"
    assert after["counts"] == (0, 2, 0, 1)
    assert len(after["readings"]) == 2
    assert after["revisions"] == []


def test_a_batch_whose_payload_cannot_be_read_is_marked_failed(electricity_meter):
    batch = factories.IngestBatchFactory(payload='meter,ts,value\nE-0001,"2026-01-15', row_count=1)

    result = ingest_batch_process.delay(str(batch.pk)).get()

    batch.refresh_from_db()
    assert result["status"] == batch.status == "failed"
    assert "line 2" in batch.error
    assert batch.finished_at is not None
    assert not Reading.objects.exists()


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_bug_during_processing_marks_the_batch_failed_instead_of_leaving_it_processing(
    gateway_user, electricity_meter, monkeypatch, settings, fast_path
):
    settings.INGEST_FAST_PATH = fast_path
    from energy.ingest import services

    body = b"meter,ts,value\nE-0001,2026-01-15T00:00:00+09:00,0.5\n"
    batch, _ = services.batch_receive(
        client=gateway_user, body=body, content_type="text/csv", enqueue=False
    )

    def broken(**kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(services, "meter_rules", broken)
    with pytest.raises(ZeroDivisionError):
        services.batch_process(batch_id=batch.pk)

    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "ZeroDivisionError" in batch.error
    assert not Reading.objects.filter(meter=electricity_meter).exists()  # rolled back whole


def test_stale_batches_are_queued_again_and_processed(
    gateway_user, electricity_meter, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from energy.tasks import ingest_batches_requeue_stale

    body = b"meter,ts,value\nE-0001,2026-01-15T00:00:00+09:00,0.5\n"
    stuck, _ = batch_receive(client=gateway_user, body=body, content_type="text/csv", enqueue=False)
    IngestBatch.objects.filter(pk=stuck.pk).update(
        received_at=timezone.now() - timedelta(minutes=10)
    )
    fresh, _ = batch_receive(
        client=gateway_user,
        body=body.replace(b"0.5", b"0.6"),
        content_type="text/csv",
        enqueue=False,
    )

    with django_capture_on_commit_callbacks(execute=True):
        requeued = ingest_batches_requeue_stale.delay().get()

    assert requeued == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == BatchStatus.DONE
    assert fresh.status == BatchStatus.RECEIVED  # just arrived: its own task is on the way
    assert Reading.objects.get(meter=electricity_meter).value == 0.5


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_skips_a_batch_a_live_worker_holds_and_requeues_one_nobody_holds(
    postgresql, gateway_user, electricity_meter, monkeypatch
):
    """A worker holds its batch's row locked while it processes it (batch_process); a batch
    "processing" without a lock is one whose worker died."""
    from datetime import timedelta

    import psycopg
    from django.db import connection
    from django.utils import timezone

    from energy.ingest import services
    from energy.ingest.services import batches_requeue_stale

    queued = []  # what would be queued (the broker is the outside world here)
    monkeypatch.setattr(services, "batch_enqueue", lambda *, batch_id: queued.append(batch_id))
    body = b"meter,ts,value\nE-0001,2026-01-15T00:00:00+09:00,0.5\n"
    held, _ = batch_receive(client=gateway_user, body=body, content_type="text/csv", enqueue=False)
    orphan, _ = batch_receive(
        client=gateway_user,
        body=body.replace(b"0.5", b"0.6"),
        content_type="text/csv",
        enqueue=False,
    )
    IngestBatch.objects.filter(pk__in=[held.pk, orphan.pk]).update(
        status=BatchStatus.PROCESSING, started_at=timezone.now() - timedelta(hours=1)
    )
    db = connection.settings_dict
    worker_connection = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )
    try:
        worker_connection.execute(
            "SELECT 1 FROM energy_ingestbatch WHERE id = %s FOR UPDATE", [held.pk]
        )
        assert batches_requeue_stale() == 1
    finally:
        worker_connection.rollback()
        worker_connection.close()

    assert queued == [orphan.pk]
