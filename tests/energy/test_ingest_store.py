"""``readings_upsert``: the PostgreSQL COPY path and the portable ORM path store the same thing.

Each test feeds the same sequence of deliveries to both paths, on separate meters, and checks
both against what the sequence should leave behind.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.ingest.store import UpsertResult, readings_upsert
from energy.ingest.validate import ValidReading
from energy.models import Reading, ReadingRevision
from tests import factories

pytestmark = pytest.mark.usefixtures("postgresql")

START = datetime(2026, 1, 10, tzinfo=UTC)
M, E = "measured", "estimated"
METHODS = ("copy", "portable")


def ts(slot: int) -> datetime:
    return START + timedelta(minutes=30 * slot)


def deliver(meter, delivery: dict[int, tuple[float, str]], *, method: str, batch=None):
    readings = [
        ValidReading(meter.pk, int(ts(slot).timestamp()), value, quality)
        for slot, (value, quality) in delivery.items()
    ]
    return readings_upsert(readings=readings, batch_id=batch and batch.pk, method=method)


def readings_of(meter) -> list[tuple[datetime, float, str]]:
    return list(
        Reading.objects.filter(meter=meter).order_by("ts").values_list("ts", "value", "quality")
    )


def revisions_of(meter) -> list[tuple[datetime, float, str, object]]:
    return list(
        ReadingRevision.objects.filter(meter=meter)
        .order_by("ts", "id")
        .values_list("ts", "value", "quality", "batch_id")
    )


class Expected:
    """What a sequence of deliveries should store, worked out without the database."""

    def __init__(self) -> None:
        self.readings: dict[int, tuple[float, str]] = {}
        self.revisions: list[tuple[int, float, str, object]] = []

    def deliver(self, delivery: dict[int, tuple[float, str]], batch=None) -> UpsertResult:
        inserted = duplicates = corrected = 0
        for slot, new in delivery.items():
            old = self.readings.get(slot)
            if old is None:
                inserted += 1
            elif old == new:
                duplicates += 1
            else:
                corrected += 1
                self.revisions.append((slot, *old, batch and batch.pk))
            self.readings[slot] = new
        return UpsertResult(inserted, duplicates, corrected)

    def stored(self):
        return [(ts(slot), *self.readings[slot]) for slot in sorted(self.readings)]

    def revised(self):
        return sorted(((ts(slot), *rest) for slot, *rest in self.revisions), key=lambda r: r[0])


def run_both(deliveries, meters=None):
    """Apply the deliveries with each method on its own meter; compare with the expectation."""
    meters = meters or {method: factories.MeterFactory() for method in METHODS}
    expected = Expected()
    for delivery in deliveries:
        batch = factories.IngestBatchFactory()
        want = expected.deliver(delivery, batch)
        for method in METHODS:
            got = deliver(meters[method], delivery, method=method, batch=batch)
            assert got == want, (method, delivery)
    for method in METHODS:
        assert readings_of(meters[method]) == expected.stored(), method
        assert revisions_of(meters[method]) == expected.revised(), method


def test_new_identical_and_changed_readings_are_counted_and_revised_alike():
    run_both(
        [
            {0: (0.5, M), 1: (0.1, M), 2: (1 / 3, E), 3: (0.0, M)},  # all new
            {0: (0.5, M), 1: (0.1, M), 2: (1 / 3, E), 3: (0.0, M)},  # all identical
            {0: (0.5, M), 1: (0.2, M), 2: (1 / 3, M), 4: (2.5, E)},  # value, quality, new
            {1: (0.1, E), 2: (1 / 3, M), 3: (0.0, E), 5: (7.0, M)},  # both changed, back again
            {3: (0.0, E), 1: (0.1, E)},  # identical, out of order
        ]
    )


def test_the_counts_are_those_a_client_would_expect():
    meter = factories.MeterFactory()
    for method, slots in (("copy", range(0, 3)), ("portable", range(10, 13))):
        first = deliver(meter, {s: (1.0, M) for s in slots}, method=method)
        again = deliver(meter, {s: (1.0 if s % 2 else 2.0, M) for s in slots}, method=method)

        assert first == UpsertResult(inserted=3, duplicates=0, corrected=0), method
        assert again == UpsertResult(inserted=0, duplicates=1, corrected=2), method


def test_a_changed_value_keeps_the_old_one_as_a_revision_of_the_batch():
    meters = {method: factories.MeterFactory() for method in METHODS}
    first, second = factories.IngestBatchFactory(), factories.IngestBatchFactory()
    for method, meter in meters.items():
        deliver(meter, {0: (0.5, E)}, method=method, batch=first)
        deliver(meter, {0: (0.75, M)}, method=method, batch=second)

        assert readings_of(meter) == [(ts(0), 0.75, M)], method
        assert revisions_of(meter) == [(ts(0), 0.5, E, second.pk)], method


def test_readings_of_several_meters_in_one_delivery():
    copy_meters = [factories.MeterFactory() for _ in range(2)]
    portable_meters = [factories.MeterFactory() for _ in range(2)]
    results = {}
    for method, (a, b) in (("copy", copy_meters), ("portable", portable_meters)):
        deliver(a, {0: (1.0, M), 1: (1.0, M)}, method=method)
        readings = [
            ValidReading(a.pk, int(ts(1).timestamp()), 1.0, M),  # identical
            ValidReading(b.pk, int(ts(1).timestamp()), 1.0, M),  # new: same time, other meter
            ValidReading(a.pk, int(ts(0).timestamp()), 9.0, M),  # corrected
            ValidReading(b.pk, int(ts(5).timestamp()), 2.0, E),  # new
        ]
        results[method] = readings_upsert(readings=readings, method=method)

        assert readings_of(a) == [(ts(0), 9.0, M), (ts(1), 1.0, M)], method
        assert readings_of(b) == [(ts(1), 1.0, M), (ts(5), 2.0, E)], method
        assert [r[:3] for r in revisions_of(a)] == [(ts(0), 1.0, M)], method
        assert revisions_of(b) == [], method

    assert results["copy"] == results["portable"] == UpsertResult(2, 1, 1)


def test_a_large_delivery_overlapping_stored_readings():
    first = {slot: (slot / 7, M) for slot in range(0, 1500)}
    second = {slot: ((slot / 7) if slot % 3 else slot / 11, M) for slot in range(1000, 3500)}

    run_both([first, second])


def test_values_survive_exactly():
    awkward = [0.1, 1 / 3, 2 / 3, 1e-300, 5e-324, 29.999999999999996, 0.30000000000000004]
    run_both([{slot: (value, M) for slot, value in enumerate(awkward)}])


def test_an_empty_delivery_stores_nothing():
    meter = factories.MeterFactory()
    for method in METHODS:
        assert readings_upsert(readings=[], method=method) == UpsertResult(0, 0, 0)
    assert readings_of(meter) == []


deliveries = st.lists(
    st.dictionaries(
        st.integers(min_value=0, max_value=8),
        st.tuples(
            st.one_of(
                st.sampled_from([0.0, 0.5, 1 / 3, 2.0]),
                st.floats(min_value=0, max_value=1e6, allow_nan=False),
            ),
            st.sampled_from([M, E]),
        ),
        max_size=9,
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deliveries=deliveries)
def test_any_sequence_of_deliveries_gives_the_same_result_on_both_paths(deliveries):
    with transaction.atomic():
        run_both(deliveries)
        transaction.set_rollback(True)
