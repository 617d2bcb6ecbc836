"""Newer wins: a value produced earlier than the stored one never overwrites it.

Batches get processed out of order (a retried task, a sweeper's requeue, a replayed file, a
file back-filled after corrections came through the API). Whatever the order, a reading ends
up holding the value its source produced last, and every other value delivered is kept as a
revision.
"""

import itertools
import os
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.ingest.services import batch_process, batch_receive, batch_replay
from energy.ingest.store import UpsertResult, readings_upsert
from energy.ingest.validate import ValidReading, microseconds
from energy.models import BatchStatus, IngestBatch, Reading, ReadingRevision, RevisionKind
from tests import factories

pytestmark = pytest.mark.usefixtures("postgresql")

START = datetime(2026, 1, 10, tzinfo=UTC)
SOURCE = datetime(2026, 1, 12, tzinfo=UTC)  # source times: SOURCE + n seconds
M, E = "measured", "estimated"
METHODS = ("copy", "portable")


def ts(slot: int) -> datetime:
    return START + timedelta(minutes=30 * slot)


def source(n: int | None) -> int | None:
    return None if n is None else microseconds(SOURCE + timedelta(seconds=n))


def deliver(meter, delivery: dict[int, tuple], *, method: str, batch=None) -> UpsertResult:
    """``delivery``: slot -> (value, quality, source n or None)."""
    readings = [
        ValidReading(meter.pk, int(ts(slot).timestamp()), value, quality, source(n))
        for slot, (value, quality, n) in delivery.items()
    ]
    return readings_upsert(readings=readings, batch_id=batch and batch.pk, method=method)


def stored(meter) -> dict[int, tuple]:
    rows = Reading.objects.filter(meter=meter).values_list("ts", "value", "quality", "source_time")
    return {_slot(t): (v, q, _n(s)) for t, v, q, s in rows}


def revisions(meter) -> list[tuple]:
    rows = ReadingRevision.objects.filter(meter=meter).order_by("ts", "id")
    return [(_slot(r.ts), r.value, r.quality, _n(r.source_time), r.kind, r.batch_id) for r in rows]


def _slot(moment: datetime) -> int:
    return int((moment - START) / timedelta(minutes=30))


def _n(moment: datetime | None) -> int | None:
    return None if moment is None else int((moment - SOURCE).total_seconds())


class Expected:
    """What a sequence of deliveries should leave behind, worked out without a database."""

    def __init__(self) -> None:
        self.readings: dict[int, tuple] = {}
        self.revisions: list[tuple] = []

    def deliver(self, delivery: dict[int, tuple], batch) -> UpsertResult:
        counts = {"inserted": 0, "duplicates": 0, "corrected": 0, "stale": 0}
        for slot, new in delivery.items():
            old = self.readings.get(slot)
            if old is None:
                counts["inserted"] += 1
                self.readings[slot] = new
                continue
            newer = _order(new[2]) >= _order(old[2])
            if new[:2] == old[:2]:
                counts["duplicates"] += 1
                if newer:
                    self.readings[slot] = new
            elif newer:
                counts["corrected"] += 1
                self.revisions.append((slot, *old, RevisionKind.REPLACED, batch.pk))
                self.readings[slot] = new
            else:
                counts["stale"] += 1
                kept = (slot, *new, RevisionKind.STALE)
                if kept not in [r[:5] for r in self.revisions]:
                    self.revisions.append((*kept, batch.pk))
        return UpsertResult(**counts)


def _order(n: int | None) -> float:
    return float("-inf") if n is None else n


def test_a_correction_processed_before_the_original_is_not_undone_by_it():
    for method in METHODS:
        meter = factories.MeterFactory()
        original, correction = factories.IngestBatchFactory(), factories.IngestBatchFactory()

        assert deliver(meter, {0: (0.9, M, 20)}, method=method, batch=correction) == (
            UpsertResult(inserted=1, duplicates=0, corrected=0, stale=0)
        )
        late = deliver(meter, {0: (0.4, E, 10)}, method=method, batch=original)

        assert late == UpsertResult(inserted=0, duplicates=0, corrected=0, stale=1), method
        assert stored(meter) == {0: (0.9, M, 20)}, method
        assert revisions(meter) == [(0, 0.4, E, 10, RevisionKind.STALE, original.pk)], method


def test_a_newer_value_replaces_the_stored_one_which_is_kept():
    for method in METHODS:
        meter = factories.MeterFactory()
        first, second = factories.IngestBatchFactory(), factories.IngestBatchFactory()
        deliver(meter, {0: (0.4, E, 10)}, method=method, batch=first)

        got = deliver(meter, {0: (0.9, M, 20)}, method=method, batch=second)

        assert got == UpsertResult(inserted=0, duplicates=0, corrected=1, stale=0), method
        assert stored(meter) == {0: (0.9, M, 20)}, method
        assert revisions(meter) == [(0, 0.4, E, 10, RevisionKind.REPLACED, second.pk)], method


def test_a_stale_value_delivered_again_is_kept_once():
    for method in METHODS:
        meter = factories.MeterFactory()
        batches = [factories.IngestBatchFactory() for _ in range(3)]
        deliver(meter, {0: (0.9, M, 20)}, method=method, batch=batches[0])
        deliver(meter, {0: (0.4, M, 10)}, method=method, batch=batches[1])

        again = deliver(meter, {0: (0.4, M, 10)}, method=method, batch=batches[2])

        assert again.stale == 1, method
        assert [r[4] for r in revisions(meter)] == [RevisionKind.STALE], method


def test_the_same_value_from_a_later_source_moves_the_source_time_on():
    """Otherwise the order would matter: the value at 10 confirmed at 30 must beat one at 20."""
    for method in METHODS:
        meter = factories.MeterFactory()
        deliver(meter, {0: (0.4, M, 10)}, method=method)
        confirmed = deliver(meter, {0: (0.4, M, 30)}, method=method)
        late = deliver(meter, {0: (0.9, M, 20)}, method=method)

        assert confirmed == UpsertResult(0, 1, 0, 0), method
        assert late == UpsertResult(0, 0, 0, 1), method
        assert stored(meter) == {0: (0.4, M, 30)}, method


def test_readings_stored_without_a_source_time_are_replaced_by_any_delivery():
    for method in METHODS:
        meter = factories.MeterFactory()
        deliver(meter, {0: (0.4, M, None)}, method=method)

        assert deliver(meter, {0: (0.5, M, 1)}, method=method).corrected == 1, method
        assert deliver(meter, {0: (0.6, M, None)}, method=method).stale == 1, method
        assert stored(meter) == {0: (0.5, M, 1)}, method


def run_both(deliveries) -> None:
    meters = {method: factories.MeterFactory() for method in METHODS}
    expected = Expected()
    for delivery in deliveries:
        batch = factories.IngestBatchFactory()
        want = expected.deliver(delivery, batch)
        for method in METHODS:
            got = deliver(meters[method], delivery, method=method, batch=batch)
            assert got == want, (method, delivery)
    for method in METHODS:
        assert stored(meters[method]) == expected.readings, method
        # By interval, and in the order they were recorded within one (a stable sort).
        assert revisions(meters[method]) == sorted(expected.revisions, key=lambda r: r[0])


deliveries = st.lists(
    st.dictionaries(
        st.integers(min_value=0, max_value=4),
        st.tuples(
            st.sampled_from([0.0, 0.5, 1 / 3, 2.0]),
            st.sampled_from([M, E]),
            st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
        ),
        max_size=5,
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deliveries=deliveries)
def test_any_sequence_with_source_times_gives_the_modelled_result_on_both_paths(deliveries):
    """Ties and unknown source times included: the later processed of two equal times wins."""
    with transaction.atomic():
        run_both(deliveries)
        transaction.set_rollback(True)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    versions=st.lists(
        st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.sampled_from([M, E])),
        min_size=2,
        max_size=4,
    ),
    data=st.data(),
)
def test_in_any_processing_order_the_value_produced_last_is_stored(versions, data):
    """Several versions of one reading, each produced at its own time, processed in an order
    the broker chose: the last produced is stored and no version is lost."""
    delivered = [(value, quality, n) for n, (value, quality) in enumerate(versions)]
    order = data.draw(st.permutations(delivered))
    with transaction.atomic():
        for method in METHODS:
            meter = factories.MeterFactory()
            for version in order:
                deliver(meter, {0: version}, method=method)

            assert stored(meter) == {0: delivered[-1]}, (method, order)
            kept = {(v, q) for _, v, q, *_ in revisions(meter)} | {delivered[-1][:2]}
            assert kept == {version[:2] for version in delivered}, (method, order)
        transaction.set_rollback(True)


# --- Through the batches, as a client sees it ----------------------------------------------


def csv_body(meter, value: float, source_time: str | None = None) -> bytes:
    at = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    if source_time is None:
        return f"meter,ts,value\n{meter.serial},{at.isoformat()},{value}\n".encode()
    return (
        f"meter,ts,value,source_time\n{meter.serial},{at.isoformat()},{value},{source_time}\n"
    ).encode()


def receive(client, body: bytes, **kwargs) -> IngestBatch:
    with transaction.atomic():
        batch, _ = batch_receive(
            client=client, body=body, content_type="text/csv", enqueue=False, **kwargs
        )
    return batch


def test_batches_processed_out_of_order_leave_the_later_delivery_stored():
    """A gateway sends a value, then its correction; the broker delivers the correction's task
    first (the original's was retried). The correction stays."""
    meter = factories.MeterFactory()
    client = factories.UserFactory()
    original = receive(client, csv_body(meter, 0.4))
    correction = receive(client, csv_body(meter, 0.9))

    first = batch_process(batch_id=correction.pk)
    late = batch_process(batch_id=original.pk)

    assert first.accepted_count == 1
    assert (late.status, late.accepted_count, late.stale_count) == (BatchStatus.DONE, 0, 1)
    assert Reading.objects.get(meter=meter).value == 0.9
    kept = ReadingRevision.objects.get(meter=meter)
    assert (kept.value, kept.kind, kept.batch_id) == (0.4, RevisionKind.STALE, original.pk)
    assert kept.source_time == original.received_at


def test_a_row_source_time_earlier_than_the_stored_value_is_kept_but_not_applied():
    meter = factories.MeterFactory()
    client = factories.UserFactory()
    batch_process(batch_id=receive(client, csv_body(meter, 0.9)).pk)  # produced at receipt
    hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()

    late = batch_process(batch_id=receive(client, csv_body(meter, 0.4, hour_ago)).pk)

    assert late.stale_count == 1
    assert Reading.objects.get(meter=meter).value == 0.9


def test_a_replayed_batch_does_not_undo_corrections_made_since():
    meter = factories.MeterFactory()
    client = factories.UserFactory()
    original = batch_process(batch_id=receive(client, csv_body(meter, 0.4)).pk)
    batch_process(batch_id=receive(client, csv_body(meter, 0.9)).pk)

    replay = batch_replay(batch=original, client=client)

    assert replay.source_time == original.received_at
    assert replay.stale_count == 1
    assert Reading.objects.get(meter=meter).value == 0.9


def test_a_file_back_filled_after_corrections_counts_its_rows_as_stale(tmp_path, capsys):
    """ingest_file takes the file's modification time as the time its readings were produced."""
    meter = factories.MeterFactory()
    factories.UserFactory(username="ops", is_superuser=True)
    path = tmp_path / "old.csv"
    path.write_bytes(csv_body(meter, 0.4))
    made = (timezone.now() - timedelta(hours=3)).timestamp()
    os.utime(path, (made, made))
    batch_process(batch_id=receive(factories.UserFactory(), csv_body(meter, 0.9)).pk)

    call_command("ingest_file", str(path), verbosity=0)

    out = capsys.readouterr().out
    assert "0 accepted, 0 duplicate, 0 corrected, 1 stale, 0 rejected" in out
    assert "kept as revisions" in out
    assert Reading.objects.get(meter=meter).value == 0.9
    batch = IngestBatch.objects.get(source="file")
    assert batch.source_time == datetime.fromtimestamp(made, tz=UTC)


def test_a_file_given_a_later_source_time_replaces_the_stored_value(tmp_path, capsys):
    meter = factories.MeterFactory()
    factories.UserFactory(username="ops", is_superuser=True)
    batch_process(batch_id=receive(factories.UserFactory(), csv_body(meter, 0.9)).pk)
    path = tmp_path / "fix.csv"
    path.write_bytes(csv_body(meter, 0.4))
    os.utime(path, (0, 0))

    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    call_command("ingest_file", str(path), "--source-time", later, verbosity=0)

    assert "1 corrected" in capsys.readouterr().out
    assert Reading.objects.get(meter=meter).value == 0.4


@pytest.mark.parametrize(
    ("source_time", "message"),
    [
        ("2026-01-15T10:00:00", "needs a UTC offset"),
        ("yesterday", "is not an ISO 8601 date-time"),
        ("2999-01-01T00:00:00+00:00", "is in the future"),
        ("2000-01-01T00:00:00+00:00", "before the interval"),
    ],
)
def test_a_row_with_an_unusable_source_time_is_rejected_with_the_reason(source_time, message):
    meter = factories.MeterFactory()
    batch = batch_process(
        batch_id=receive(factories.UserFactory(), csv_body(meter, 0.4, source_time)).pk
    )

    assert batch.rejected_reasons == {"invalid_source_time": 1}
    assert message in batch.rejected_rows[0]["message"]
    assert batch.rejected_rows[0]["row"]["source_time"] == source_time
    assert not Reading.objects.filter(meter=meter).exists()


def test_every_order_of_three_batches_stores_the_last_received():
    """All six orders a broker could run three deliveries of one reading in."""
    client = factories.UserFactory()
    for order in itertools.permutations(range(3)):
        meter = factories.MeterFactory()
        batches = [receive(client, csv_body(meter, value)) for value in (0.1, 0.2, 0.3)]
        for index in order:
            batch_process(batch_id=batches[index].pk)

        assert Reading.objects.get(meter=meter).value == 0.3, order
        assert sorted(
            ReadingRevision.objects.filter(meter=meter).values_list("value", flat=True)
        ) == [
            0.1,
            0.2,
        ], order
