"""Two batches for the same meter and day, processed at the same time, roll up correctly."""

import threading

import pytest
from django.db import connection

from energy.ingest import services
from energy.models import DailyUsage

pytestmark = pytest.mark.django_db(transaction=True)


def _csv(hours: range) -> bytes:
    rows = "".join(f"E-0001,2026-01-15T{h:02d}:00:00+09:00,1.0\n" for h in hours)
    return ("meter,ts,value\n" + rows).encode()


@pytest.mark.parametrize("fast_path", [True, False])
def test_concurrent_batches_for_one_meter_day_both_count_in_the_rollup(
    postgresql, gateway_user, electricity_meter, monkeypatch, settings, fast_path
):
    settings.INGEST_FAST_PATH = fast_path
    settings.INGEST_BATCHES_PER_TRANSACTION = 1  # two workers, one batch each
    first, _ = services.batch_receive(
        client=gateway_user, body=_csv(range(0, 12)), content_type="text/csv", enqueue=False
    )
    second, _ = services.batch_receive(
        client=gateway_user, body=_csv(range(12, 24)), content_type="text/csv", enqueue=False
    )
    first_rolled_up = threading.Event()
    release_first = threading.Event()

    def then_hold_the_first(store):
        def stored_then_held(batch):
            outcome = store(batch)
            if outcome and threading.current_thread().name == "first":
                first_rolled_up.set()  # stored and rolled up, not committed
                release_first.wait(timeout=30)
            return outcome

        return stored_then_held

    for path in ("_stored_fast", "_stored_reference"):
        monkeypatch.setattr(services, path, then_hold_the_first(getattr(services, path)))
    errors = []

    def process(batch_id):
        try:
            services.batch_process(batch_id=batch_id)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=process, args=(first.pk,), name="first")
    b = threading.Thread(target=process, args=(second.pk,), name="second")
    a.start()
    assert first_rolled_up.wait(timeout=30)
    b.start()
    b.join(timeout=1)  # give the second batch every chance to get ahead of the first's commit
    release_first.set()
    a.join(timeout=30)
    b.join(timeout=30)

    assert not errors
    day = DailyUsage.objects.get(meter=electricity_meter)
    assert day.intervals == 24
    assert day.total == pytest.approx(24.0)
