"""The staff overview's figures against numbers worked out by hand on a small data set."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config.observability.web_requests import web_request_record, web_requests_flush
from dashboards.models import OverviewSnapshot
from dashboards.overview import overview_compute
from energy.models import BatchStatus, IngestBatch, Reading, Region
from energy.savings.models import Recommendation
from flags.models import Experiment, ExperimentResult, ExperimentStatus, PortalVisit, Variant
from tests import factories

pytestmark = pytest.mark.django_db

# A fixed "now" in the middle of an hour (UTC), so each hour's batches are known.
NOW = datetime(2026, 2, 10, 12, 30, tzinfo=UTC)
HOUR = NOW.replace(minute=0)


def _batch(*, received, latency_s, status=BatchStatus.DONE, **fields) -> IngestBatch:
    batch = factories.IngestBatchFactory(status=status, **fields)
    IngestBatch.objects.filter(pk=batch.pk).update(
        received_at=received, finished_at=received + timedelta(seconds=latency_s)
    )
    return batch


def _recommendation(premise, meter, **fields) -> Recommendation:
    defaults = {
        "confidence": "medium",
        "computed_at": timezone.now(),
        "unit": meter.unit if meter else "",
    }
    return Recommendation.objects.create(premise=premise, meter=meter, **{**defaults, **fields})


@pytest.fixture
def small_data_set(db):
    return overview_data_set_create(now=NOW)


def overview_data_set_create(*, now: datetime) -> dict:
    """The small data set around ``now`` (also used by the browser test)."""
    NOW = now
    HOUR = NOW.replace(minute=0, second=0, microsecond=0)
    staff = factories.UserFactory(username="ops", is_staff=True)
    sapporo = factories.RegionFactory(name="Sapporo")
    asahikawa = factories.RegionFactory(name="Asahikawa")
    electricity = factories.MeterFactory(premise__region=sapporo, commodity="electricity")
    gas = factories.MeterFactory(
        premise=electricity.premise, commodity="gas", unit="m3", interval_minutes=60
    )
    other = factories.MeterFactory(premise__region=asahikawa)
    premise = electricity.premise

    # Portal visits: A today and 10 days ago, B 20 days ago, C 40 days ago.
    today = timezone.localdate(NOW)
    a, b, c = (factories.UserFactory(username=name) for name in ("a", "b", "c"))
    for user, days_ago in ((a, 0), (a, 10), (b, 20), (c, 40)):
        PortalVisit.objects.create(user=user, date=today - timedelta(days=days_ago))

    # Recommendations: 3 current (one "will do", one "done" and measured), 1 old one "done".
    _recommendation(
        premise,
        electricity,
        kind="standby",
        status="will_do",
        saving_per_year=100.0,
        saving_jpy=3000.0,
        saving_co2_kg=50.0,
    )
    _recommendation(
        premise,
        gas,
        kind="heating",
        status="done",
        saving_per_year=40.0,
        saving_jpy=8000.0,
        saving_co2_kg=80.0,
        measured_avoided=20.0,  # half the estimate: 4,000 yen and 40 kg
    )
    _recommendation(premise, electricity, kind="peak_shift", saving_jpy=500.0)  # new: not counted
    _recommendation(
        other.premise,
        other,
        kind="standby",
        status="done",
        is_current=False,
        saving_per_year=10.0,
        saving_jpy=300.0,
        saving_co2_kg=5.0,
    )  # done but not measured yet

    # Batches finished this hour: latencies 10, 20, 30 s; an hour ago one of 60 s.
    _batch(
        received=HOUR + timedelta(minutes=1),
        latency_s=10,
        accepted_count=90,
        corrected_count=2,
        rejected_count=8,
        row_count=100,
        rejected_reasons={"off_grid": 6, "negative": 2},
    )
    _batch(received=HOUR + timedelta(minutes=2), latency_s=20, accepted_count=50, row_count=50)
    _batch(
        received=HOUR + timedelta(minutes=3),
        latency_s=30,
        accepted_count=48,
        rejected_count=2,
        row_count=50,
        rejected_reasons={"off_grid": 2},
    )
    _batch(received=HOUR - timedelta(minutes=50), latency_s=60, accepted_count=10, row_count=10)
    failed = _batch(
        received=HOUR + timedelta(minutes=5),
        latency_s=1,
        status=BatchStatus.FAILED,
        error="The body is not UTF-8",
    )
    # Two days ago: outside the day's charts.
    _batch(received=NOW - timedelta(days=2), latency_s=5, accepted_count=1000, row_count=1000)

    # Newest readings: Sapporo 30 minutes before now, Asahikawa 2 hours before.
    for meter, ts in (
        (electricity, NOW - timedelta(hours=5)),
        (electricity, NOW - timedelta(minutes=30)),
        (gas, NOW - timedelta(hours=1)),
        (other, NOW - timedelta(hours=2)),
    ):
        Reading.objects.create(meter=meter, ts=ts, value=1.0)

    # A running experiment with a computed result, and a flag changed by staff.
    experiment = Experiment.objects.create(
        key="framing",
        name="Framing",
        owner="cx",
        primary_metric="done_rate",
        status=ExperimentStatus.RUNNING,
    )
    Variant.objects.create(experiment=experiment, key="yen", name="Yen", weight="0.5", value="yen")
    Variant.objects.create(experiment=experiment, key="kwh", name="kWh", weight="0.5", value="kwh")
    ExperimentResult.objects.create(
        experiment=experiment,
        srm_p_value=0.0001,
        srm_flagged=True,
        data={
            "metrics": {
                "done_rate": {
                    "lifts": {
                        "kwh": {
                            "welch": {"relative": 0.05, "relative_ci": [-0.01, 0.11]},
                            "cuped": {"relative": 0.04, "relative_ci": [0.01, 0.07]},
                        }
                    }
                }
            }
        },
    )
    flag = factories.FlagFactory.build(name="portal_winter_tips", everyone=True)
    flag._history_user = staff
    flag.save()

    # Web requests this hour: 4, one of them a server error.
    for status in (200, 200, 404, 500):
        web_request_record(status=status, now=(NOW - timedelta(minutes=5)).timestamp())
    web_requests_flush()
    return {"staff": staff, "failed": failed}


def test_the_overview_figures_match_the_hand_computed_values(small_data_set):
    data = overview_compute(now=NOW).data
    business, operations = data["business"], data["operations"]

    assert business["active_customers"] == {"7d": 1, "30d": 2}
    assert business["recommendations"] == {"shown": 3, "will_do": 1, "done": 2}
    estimated = business["savings"]["estimated"]["total"]
    assert estimated == {"kwh": 110.0, "m3": 40.0, "jpy": 11300.0, "co2_kg": 135.0}
    measured = business["savings"]["measured"]
    assert measured["total"] == {"kwh": 0.0, "m3": 20.0, "jpy": 4000.0, "co2_kg": 40.0}
    assert measured["by_kind"] == {
        "heating": {"kwh": 0.0, "m3": 20.0, "jpy": 4000.0, "co2_kg": 40.0}
    }
    assert business["savings"]["estimated"]["by_kind"]["standby"]["jpy"] == 3300.0
    [experiment] = business["experiments"]
    assert experiment["srm_flagged"] is True
    assert experiment["lifts"] == [
        {"variant": "kwh", "relative": 0.04, "relative_ci": [0.01, 0.07], "method": "cuped"}
    ]
    [change] = business["flag_changes"]
    assert (change["name"], change["change"], change["by"]) == (
        "portal_winter_tips",
        "created",
        "ops",
    )

    ingest = operations["ingest"]
    assert ingest["hours"][-1] == HOUR.isoformat() and len(ingest["hours"]) == 24
    assert ingest["accepted"][-2:] == [10, 90 + 2 + 50 + 48]
    assert ingest["rejected"][-1] == 10
    assert ingest["rows_delivered"] == 210
    assert ingest["rejected_by_reason"] == {"off_grid": 8, "negative": 2}
    assert ingest["latency_p50_s"][-2:] == [60.0, 20.0]
    assert ingest["latency_p95_s"][-1] == pytest.approx(29.0)  # 20 + 0.9 × (30 - 20)
    assert ingest["latency_day_p50_s"] == 25.0  # of 10, 20, 30, 60
    assert operations["failed_batches"]["count"] == 1
    assert operations["failed_batches"]["batches"][0]["id"] == str(small_data_set["failed"].pk)
    assert operations["newest_reading"] == {
        "Asahikawa": (NOW - timedelta(hours=2)).isoformat(),
        "Sapporo": (NOW - timedelta(minutes=30)).isoformat(),
    }
    web = operations["web"]
    assert (web["requests"][-1], web["errors"][-1], web["error_rate"][-1]) == (4, 1, 0.25)
    assert web["error_rate"][0] is None  # no requests: no rate


def test_the_page_shows_the_latest_snapshot_to_staff_in_one_query_for_it(
    small_data_set, client, django_assert_max_num_queries
):
    snapshot = overview_compute(now=NOW)
    # Computed just now, as beat would have: the page does not ask for a recomputation.
    OverviewSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=timezone.now())
    client.force_login(small_data_set["staff"])

    with django_assert_max_num_queries(4):  # session, user, the snapshot
        response = client.get(reverse("dashboards:staff_overview"))

    assert response.status_code == 200
    page = response.content.decode()
    # Reloads itself every minute, unless the reader pauses it (no <meta http-equiv="refresh">).
    assert 'id="overview-reload-toggle" aria-pressed="false" data-seconds="60"' in page
    assert 'http-equiv="refresh"' not in page
    for div_id in (
        "overview-recommendations",
        "overview-savings-by-kind",
        "overview-readings-per-hour",
        "overview-batch-latency",
        "overview-rejections",
        "overview-ingest-lag",
        "overview-web-errors",
    ):
        assert f'id="{div_id}"' in page
    failed_url = reverse("admin:energy_ingestbatch_change", args=[small_data_set["failed"].pk])
    assert failed_url in page
    assert response.context["snapshot"] == snapshot


def test_the_overview_is_for_staff_only(small_data_set, client):
    client.force_login(factories.UserFactory(username="customer"))
    response = client.get(reverse("dashboards:staff_overview"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_stale_overview_is_recomputed_by_the_page(small_data_set, client):
    client.force_login(small_data_set["staff"])
    assert not OverviewSnapshot.objects.exists()

    response = client.get(reverse("dashboards:staff_overview"))  # tasks run in-process here

    assert response.status_code == 200
    assert OverviewSnapshot.objects.count() == 1


def test_rejection_reasons_are_named_in_the_readers_language(small_data_set, client):
    overview_compute(now=NOW)
    OverviewSnapshot.objects.update(computed_at=timezone.now())
    client.force_login(small_data_set["staff"])

    page = client.get(reverse("dashboards:staff_overview")).content.decode()

    [data] = re.findall(
        r'<script type="application/json" id="overview-rejections-figure">(.*?)</script>', page
    )
    [trace] = json.loads(data)["data"]
    named = set(trace["y"] if trace.get("orientation") == "h" else trace["x"])
    assert named == {"計量間隔に合わない時刻", "負の値"}  # not off_grid, negative


@pytest.mark.parametrize(
    ("language", "named"), [("ja", {"札幌", "旭川"}), ("en", {"Sapporo", "Asahikawa"})]
)
def test_ingest_lag_names_regions_in_the_readers_language(small_data_set, client, language, named):
    Region.objects.filter(name="Sapporo").update(name_ja="札幌", name_en="Sapporo")
    Region.objects.filter(name="Asahikawa").update(name_ja="旭川", name_en="Asahikawa")
    overview_compute(now=NOW)
    OverviewSnapshot.objects.update(computed_at=timezone.now())
    client.force_login(small_data_set["staff"])
    client.cookies["django_language"] = language

    page = client.get(reverse("dashboards:staff_overview")).content.decode()

    [data] = re.findall(
        r'<script type="application/json" id="overview-ingest-lag-figure">(.*?)</script>', page
    )
    [trace] = json.loads(data)["data"]
    assert set(trace["y"] if trace.get("orientation") == "h" else trace["x"]) == named
