from datetime import UTC, datetime

from energy.models import DailyUsage, Reading


def test_posted_csv_is_stored_and_rolled_up(
    gateway_client, electricity_meter, django_capture_on_commit_callbacks
):
    body = (
        "meter,ts,value\n"
        "E-0001,2026-01-15T00:00:00+09:00,0.5\n"
        "E-0001,2026-01-15T00:30:00+09:00,0.7\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")
    assert response.status_code == 202, response.content
    batch = gateway_client.get(response["Location"]).json()
    assert batch["status"] == "done"
    assert batch["counts"] == {
        "accepted": 2,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    assert Reading.objects.filter(meter=electricity_meter).count() == 2
    day = DailyUsage.objects.get(meter=electricity_meter)
    assert day.total == 1.2
    assert day.peak_at == datetime(2026, 1, 14, 15, 30, tzinfo=UTC)
