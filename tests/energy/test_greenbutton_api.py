"""Green Button through its real entry points: the API, ``ingest_file`` and the admin.

``POST /api/v1/ingest/greenbutton/`` stores the file as a batch and processes it at commit;
``GET /api/v1/meters/<serial>/greenbutton.xml`` writes a feed our importer reads back.
Totals are worked out by hand in the comments (the same sums as test_greenbutton_espi.py).
"""

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext
from lxml import etree
from rest_framework.test import APIClient

from energy.bills.models import BillingPeriod
from energy.interop.greenbutton.services import UsagePointsReplay, usage_points_replay
from energy.interop.models import GreenButtonUsagePoint
from energy.models import BatchFormat, DailyUsage, IngestBatch, Reading
from energy.savings.services import meter_daily_series
from tests import factories

DATA = Path(__file__).parent.parent / "data" / "greenbutton"
URL = "/api/v1/ingest/greenbutton/"
NINE_DAYS_POINT = (
    "https://services.greenbuttondata.org/DataCustodian/espi/1_1/resource/"
    "RetailCustomer/2/UsagePoint/2"
)
CONTAINERIZED_POINT = (
    "https://services.greenbuttondata.org/DataCustodian/espi/1_1/resource/"
    "RetailCustomer/3/UsagePoint/1"
)
GAS_POINT = "/v1/BillingAccount/1234567890/UsagePoint/NET_USAGE"


@pytest.fixture
def upload(api_client_for, django_capture_on_commit_callbacks):
    """Post a sample (or any XML text) and run the processing its transaction queued."""

    def send(name_or_text: str, *, client=None, content_type="application/xml"):
        body = (
            (DATA / name_or_text).read_bytes()
            if name_or_text.endswith(".xml")
            else name_or_text.encode()
        )
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api_client_for("ingest")).post(URL, body, content_type=content_type)

    return send


def hourly_meter(serial: str, *, commodity="electricity", unit="kWh", point: str | None = None):
    meter = factories.MeterFactory(
        serial=serial, commodity=commodity, unit=unit, interval_minutes=60
    )
    if point:
        GreenButtonUsagePoint.objects.create(identifier=point, commodity=commodity, meter=meter)
    return meter


def batch_json(response, client) -> dict:
    assert response.status_code == 202, response.content
    return client.get(response["Location"]).json()


def total(meter) -> float:
    return Reading.objects.filter(meter=meter).aggregate(total=Sum("value"))["total"] or 0.0


# --- Import ----------------------------------------------------------------------------------


def test_nine_day_sample_is_stored_under_the_mapped_meter_and_rolled_up(api_client_for, upload):
    meter = hourly_meter("E-GB-9", point=NINE_DAYS_POINT)
    client = api_client_for("ingest")
    batch = batch_json(upload("TestGBDataHourlyNineDaysBinnedDaily.xml", client=client), client)

    assert batch["status"] == "done", batch
    assert batch["format"] == "greenbutton"
    assert batch["counts"] == {
        "accepted": 216,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    # 52 × 273 + 67 × 819 + 7 × 1092 + 90 × 1365 = 14 196 + 54 873 + 7 644 + 122 850
    # = 199 563 Wh = 199.563 kWh, in 216 hourly readings.
    assert Reading.objects.filter(meter=meter).count() == 216
    assert total(meter) == pytest.approx(199.563)
    # The rollup of the local (Tokyo) days holds the same energy.
    days = DailyUsage.objects.filter(meter=meter)
    assert days.aggregate(total=Sum("total"))["total"] == pytest.approx(199.563)
    # The first hour: 1388552400 = 2014-01-01T05:00:00Z, 273 Wh.
    first = Reading.objects.filter(meter=meter).order_by("ts").first()
    assert (first.ts, first.value) == (datetime(2014, 1, 1, 5, tzinfo=UTC), 0.273)
    # The file is kept as delivered, with its digest.
    stored = IngestBatch.objects.get(pk=batch["id"])
    assert stored.payload == (DATA / "TestGBDataHourlyNineDaysBinnedDaily.xml").read_text()
    assert len(stored.payload_sha256) == 64


def test_containerized_sample_by_multipart_upload(
    api_client_for, django_capture_on_commit_callbacks
):
    meter = hourly_meter("E-GB-8", point=CONTAINERIZED_POINT)
    client = api_client_for("ingest")
    with (
        (DATA / "electric_containerized.xml").open("rb") as handle,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(URL, {"file": handle}, format="multipart")
    batch = batch_json(response, client)
    assert batch["counts"]["accepted"] == 8
    # 450 + 430 + 418 + 410 + 595 + 591 + 611 + 581 = 4 086 Wh = 4.086 kWh
    assert total(meter) == pytest.approx(4.086)


def test_gas_billing_periods_are_stored_as_the_meters_billing_periods(api_client_for, upload):
    meter = hourly_meter("G-GB-1", commodity="gas", unit="m3", point=GAS_POINT)
    client = api_client_for("ingest")
    batch = batch_json(upload("gas_direct.xml", client=client), client)

    # Five billing periods of 35, 28, 30, 33 and 27 days from UTC midnights (the file's bill
    # dates): none is a 60-minute interval, each is whole days, so each is a billing period.
    # (They hold 37 + 14 + 21 + 27 + 41 = 140 therm = 140 × 105.4804 / 45 = 328.16 m³.)
    assert batch["counts"] == {
        "accepted": 0,
        "duplicate": 0,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }
    periods = list(BillingPeriod.objects.filter(meter=meter).order_by("start"))
    assert [p.days for p in periods] == [35, 28, 30, 33, 27]
    assert periods[0].start == date(2021, 5, 26)
    assert all(a.end + timedelta(days=1) == b.start for a, b in itertools.pairwise(periods))
    assert periods[0].usage == pytest.approx(37 * 105.4804 / 45)  # 86.728… m³
    assert sum(p.usage for p in periods) == pytest.approx(140 * 105.4804 / 45)
    assert {p.source for p in periods} == {"greenbutton"}
    assert str(periods[0].batch_id) == batch["id"]
    assert any(
        "5 readings of whole days (27 to 35 days each) were stored as billing periods of "
        "meter G-GB-1 (2021-05-26 to 2021-10-25; 5 new, 0 replaced, 0 already stored)" in note
        for note in batch["notes"]
    ), batch["notes"]
    assert total(meter) == 0  # no interval readings were made up from them

    again = batch_json(upload("gas_direct.xml", client=client), client)
    assert any("0 new, 0 replaced, 5 already stored" in note for note in again["notes"])


def test_a_billing_period_overlapping_a_stored_one_is_rejected_with_the_reason(
    api_client_for, upload
):
    meter = hourly_meter("G-GB-2", commodity="gas", unit="m3", point=GAS_POINT)
    BillingPeriod.objects.create(
        meter=meter, start=date(2021, 6, 10), end=date(2021, 7, 9), usage=50.0, source="csv"
    )
    client = api_client_for("ingest")
    batch = batch_json(upload("gas_direct.xml", client=client), client)

    assert batch["counts"]["rejected"] == 2  # the bills of 30 June and 28 May overlap it
    assert {row["reason"] for row in batch["rejected_rows"]} == {"billing_period_refused"}
    assert (
        "overlaps the stored period 2021-06-10 to 2021-07-09"
        in batch["rejected_rows"][0]["message"]
    )
    assert BillingPeriod.objects.filter(meter=meter).count() == 1 + 3


def test_unassigned_usage_point_is_registered_and_its_readings_wait_for_staff(
    api_client_for, upload, admin_client
):
    client = api_client_for("ingest")
    batch = batch_json(upload("electric_containerized.xml", client=client), client)
    assert batch["counts"]["rejected"] == 8
    assert {row["reason"] for row in batch["rejected_rows"]} == {"unmapped_usage_point"}
    point = GreenButtonUsagePoint.objects.get()
    assert (point.identifier, point.commodity, point.meter) == (
        CONTAINERIZED_POINT,
        "electricity",
        None,
    )
    assert point.title == "Coastal Multi-Family 12hr"
    assert [str(pk) for pk in point.batches.values_list("pk", flat=True)] == [batch["id"]]

    # Staff assign a meter in the admin, then ingest the held readings again.
    meter = hourly_meter("E-GB-HELD")
    change = admin_client.post(
        f"/admin/interop/greenbuttonusagepoint/{point.pk}/change/",
        {
            "identifier": point.identifier,
            "title": point.title,
            "commodity": "electricity",
            "meter": meter.pk,
            "history_reason": "meter found for the held readings",
        },
    )
    assert change.status_code == 302, change.content
    action = admin_client.post(
        "/admin/interop/greenbuttonusagepoint/",
        {"action": "ingest_held_readings", "_selected_action": [point.pk]},
        follow=True,
    )
    with translation.override(settings.LANGUAGE_CODE):  # the admin's language, ja or en
        expected = gettext("%(files)d file(s) ingested again: %(accepted)d reading(s) stored.")
    assert expected % {"files": 1, "accepted": 8} in [str(m) for m in action.context["messages"]]
    assert total(meter) == pytest.approx(4.086)  # 4 086 Wh, as above

    # The same file again changes nothing: every reading is a duplicate.
    again = batch_json(upload("electric_containerized.xml", client=client), client)
    assert again["counts"] == {
        "accepted": 0,
        "duplicate": 8,
        "corrected": 0,
        "stale": 0,
        "rejected": 0,
    }


def test_replaying_usage_points_ingests_each_file_once_and_skips_those_without_a_meter(
    api_client_for, upload
):
    client = api_client_for("ingest")
    upload("electric_containerized.xml", client=client)
    upload("electric_containerized.xml", client=client)  # the same file twice: two batches
    point = GreenButtonUsagePoint.objects.get()
    waiting = GreenButtonUsagePoint.objects.create(identifier="urn:waiting", commodity="gas")
    waiting.batches.add(*point.batches.all())
    meter = hourly_meter("E-GB-REPLAY")
    point.meter = meter
    point.save()
    staff = factories.UserFactory(is_staff=True)

    replay = usage_points_replay(usage_points=[point, waiting], client=staff)
    # Both files again, oldest first: the first stores the 8 readings, the second repeats them.
    assert replay == UsagePointsReplay(files=2, accepted=8, skipped=1)
    assert total(meter) == pytest.approx(4.086)
    assert IngestBatch.objects.filter(source="replay", client=staff).count() == 2
    assert usage_points_replay(usage_points=[point], client=staff).accepted == 0


def test_usage_point_of_another_commodity_than_its_meter_is_rejected(api_client_for, upload):
    gas_meter = hourly_meter("G-GB-2", commodity="gas", unit="m3")
    GreenButtonUsagePoint.objects.create(
        identifier=CONTAINERIZED_POINT, commodity="electricity", meter=gas_meter
    )
    client = api_client_for("ingest")
    batch = batch_json(upload("electric_containerized.xml", client=client), client)
    assert {row["reason"] for row in batch["rejected_rows"]} == {"commodity_mismatch"}


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        ("<feed", 400, "unparseable", "not well-formed XML"),
        (
            '<!DOCTYPE feed [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<feed xmlns="http://www.w3.org/2005/Atom">&x;</feed>',
            400,
            "unparseable",
            "DOCTYPE",
        ),
        (
            '<feed xmlns="http://www.w3.org/2005/Atom"/>',
            400,
            "invalid_greenbutton",
            "no UsagePoint",
        ),
    ],
)
def test_bad_files_get_a_clear_400_and_nothing_is_stored(upload, body, status, code, fragment):
    response = upload(body)
    assert response.status_code == status, response.content
    error = response.json()
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert fragment in error["message"]
    assert not IngestBatch.objects.exists()


def test_a_reading_with_an_impossible_start_is_rejected_not_a_crash(api_client_for, upload):
    hourly_meter("E-GB-ODD", point="/UP/1")
    text = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:e="http://naesb.org/espi">'
        '<entry><id>a</id><link rel="self" href="/UP/1"/><content><e:UsagePoint>'
        "<e:ServiceCategory><e:kind>0</e:kind></e:ServiceCategory></e:UsagePoint></content></entry>"
        "<entry><id>b</id><content><e:MeterReading/></content></entry>"
        "<entry><id>c</id><content><e:ReadingType><e:uom>72</e:uom></e:ReadingType></content></entry>"
        "<entry><id>d</id><content><e:IntervalBlock><e:IntervalReading><e:timePeriod>"
        "<e:duration>3600</e:duration><e:start>1000000000000000000000</e:start></e:timePeriod>"
        "<e:value>5</e:value></e:IntervalReading></e:IntervalBlock></content></entry></feed>"
    )
    client = api_client_for("ingest")
    batch = batch_json(upload(text, client=client), client)
    assert batch["status"] == "done"
    assert batch["rejected_rows"][0]["message"] == (
        "IntervalBlock d, IntervalReading 1: timePeriod/start 1000000000000000000000 is not "
        "between 1970 and 9999"
    )


def test_other_content_types_are_415(upload):
    response = upload("electric_containerized.xml", content_type="application/json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_import_needs_the_ingest_scope(api_client_for, upload):
    response = upload("electric_containerized.xml", client=api_client_for("export"))
    assert response.status_code == 403
    assert "ingest" in response.json()["message"]


def test_ingest_file_command_reads_a_green_button_file(db, capsys):
    meter = hourly_meter("E-GB-CLI", point=CONTAINERIZED_POINT)
    factories.UserFactory(username="ops", is_superuser=True)
    call_command(
        "ingest_file",
        str(DATA / "electric_containerized.xml"),
        "--format",
        "greenbutton",
        verbosity=0,
    )
    assert (
        "8 accepted, 0 duplicate, 0 corrected, 0 stale, 0 rejected in 1 batch(es)"
        in capsys.readouterr().out
    )
    assert total(meter) == pytest.approx(4.086)
    assert IngestBatch.objects.get().format == BatchFormat.GREENBUTTON


def test_readings_take_their_interval_blocks_updated_time_as_their_source_time(db):
    """Each IntervalBlock entry's <updated> says when its values were produced, so a file
    exported before a correction does not undo it when imported after."""
    meter = hourly_meter("E-GB-TIME", point=CONTAINERIZED_POINT)
    factories.UserFactory(username="ops", is_superuser=True)
    call_command(
        "ingest_file",
        str(DATA / "electric_containerized.xml"),
        "--format",
        "greenbutton",
        verbosity=0,
    )

    times = dict(Reading.objects.filter(meter=meter).values_list("ts", "source_time"))
    first_block = datetime(2011, 1, 1, 8, tzinfo=UTC)  # 4 hours, updated 20:00 that day
    second_block = datetime(2011, 1, 1, 20, tzinfo=UTC)  # 4 hours, updated 08:00 next day
    assert times[first_block] == datetime(2011, 1, 1, 20, tzinfo=UTC)
    assert times[second_block] == datetime(2011, 1, 2, 8, tzinfo=UTC)
    assert len(set(times.values())) == 2


def test_an_updated_time_that_cannot_be_when_the_values_were_made_is_not_used(db, tmp_path):
    """An <updated> before its readings ended (or in the future) is a file's clock error: the
    readings fall back to the time the file was received rather than being refused."""
    meter = hourly_meter("E-GB-ODD", point=CONTAINERIZED_POINT)
    factories.UserFactory(username="ops", is_superuser=True)
    text = (DATA / "electric_containerized.xml").read_text()
    path = tmp_path / "odd.xml"
    path.write_text(
        text.replace(
            "<updated>2011-01-01T20:00:00Z</updated>", "<updated>2010-06-01T00:00:00Z</updated>"
        ).replace(
            "<updated>2011-01-02T08:00:00Z</updated>", "<updated>2999-01-01T00:00:00Z</updated>"
        )
    )
    call_command("ingest_file", str(path), "--source-time", "2012-01-01T00:00:00Z", verbosity=0)

    assert set(Reading.objects.filter(meter=meter).values_list("source_time", flat=True)) == {
        datetime(2012, 1, 1, tzinfo=UTC)
    }
    assert Reading.objects.filter(meter=meter).count() == 8


def test_ingest_file_command_refuses_a_bad_file_with_a_reason(db, tmp_path):
    factories.UserFactory(username="ops", is_superuser=True)
    path = tmp_path / "usage.xml"  # .xml means Green Button without --format
    path.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id>'
        '<content><UsagePoint xmlns="http://naesb.org/espi"/></content></entry></feed>'
    )
    with pytest.raises(
        CommandError, match="UsagePoint x has no ServiceCategory/kind and no MeterReading"
    ):
        call_command("ingest_file", str(path), verbosity=0)


# --- Export ----------------------------------------------------------------------------------

SCHEMA = etree.XMLSchema(etree.parse(str(DATA / "schema" / "atom_subset.xsd")))


def export_url(serial: str, start="2026-01-14", end="2026-01-15") -> str:
    return f"/api/v1/meters/{serial}/greenbutton.xml?start={start}&end={end}"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def stored(meter) -> list[tuple[datetime, float, str]]:
    return list(
        Reading.objects.filter(meter=meter).order_by("ts").values_list("ts", "value", "quality")
    )


@pytest.mark.parametrize(
    ("commodity", "unit", "interval", "values"),
    [
        ("electricity", "kWh", 30, [0.125, 0.3, 0.0, 1.234567]),
        ("gas", "m3", 60, [0.41, 0.052, 1.5, 0.000001]),
    ],
)
def test_export_round_trips_through_our_importer_across_local_midnight(
    api_client_for, ingest, upload, commodity, unit, interval, values
):
    source = factories.MeterFactory(
        serial="SRC-1", commodity=commodity, unit=unit, interval_minutes=interval
    )
    # 14:00Z … the last two are after 15:00Z = 00:00 JST on the 15th: two local days.
    step = interval * 60
    start = int(utc(2026, 1, 14, 15).timestamp()) - 2 * step
    readings = [
        {
            "meter": "SRC-1",
            "ts": datetime.fromtimestamp(start + i * step, UTC).isoformat(),
            "value": value,
            "quality": "estimated" if i == 1 else "measured",
        }
        for i, value in enumerate(values)
    ]
    assert ingest(readings).accepted_count == 4

    response = api_client_for("export").get(export_url("SRC-1"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    document = etree.fromstring(response.content)
    SCHEMA.assertValid(document)
    espi = {"e": "http://naesb.org/espi"}
    assert len(document.findall(".//e:IntervalBlock", espi)) == 2  # one per local day

    # Import the feed into another meter of the same kind through its UsagePoint href.
    target = factories.MeterFactory(
        serial="DST-1", commodity=commodity, unit=unit, interval_minutes=interval
    )
    GreenButtonUsagePoint.objects.create(
        identifier="http://testserver/api/v1/meters/SRC-1/greenbutton/UsagePoint/1",
        commodity=commodity,
        meter=target,
    )
    client = api_client_for("ingest")
    batch = batch_json(upload(response.content.decode(), client=client), client)
    assert batch["counts"]["accepted"] == 4, batch
    before, after = stored(source), stored(target)
    assert [(ts, q) for ts, _, q in after] == [(ts, q) for ts, _, q in before]
    assert [v for _, v, _ in after] == pytest.approx([v for _, v, _ in before], abs=1e-9)


def test_customers_export_only_their_own_meters(db):
    own = factories.MeterFactory(serial="MINE-1")
    factories.MeterFactory(serial="THEIRS-1")
    client = APIClient()
    client.force_login(own.premise.owner)
    assert client.get(export_url("MINE-1")).status_code == 200
    response = client.get(export_url("THEIRS-1"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_export_needs_the_export_scope_and_dates(api_client_for):
    factories.MeterFactory(serial="E-X")
    assert api_client_for("ingest").get(export_url("E-X")).status_code == 403
    client = api_client_for("export")
    missing = client.get("/api/v1/meters/E-X/greenbutton.xml")
    assert missing.status_code == 400
    assert set(missing.json()["details"]) == {"start", "end"}
    backwards = client.get(export_url("E-X", start="2026-01-15", end="2026-01-14"))
    assert backwards.status_code == 400
    too_long = client.get(export_url("E-X", start="2025-01-01", end="2026-01-14"))
    assert too_long.status_code == 400
    assert "366 days" in too_long.json()["message"]
    out_of_range = client.get(export_url("E-X", start="9999-12-30", end="9999-12-31"))
    assert out_of_range.status_code == 400
    assert set(out_of_range.json()["details"]) == {"start", "end"}


def test_export_of_a_premise_in_a_dst_zone_is_refused(api_client_for):
    region = factories.RegionFactory(name="New York", time_zone="America/New_York")
    factories.MeterFactory(serial="NY-1", premise=factories.PremiseFactory(region=region))
    response = api_client_for("export").get(export_url("NY-1", "2026-07-01", "2026-07-02"))
    assert response.status_code == 422
    assert response.json()["code"] == "unsupported_time_zone"


def test_openapi_schema_documents_both_endpoints(admin_client):
    schema = admin_client.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/ingest/greenbutton/" in schema["paths"]
    export = schema["paths"]["/api/v1/meters/{serial}/greenbutton.xml"]["get"]
    assert {p["name"] for p in export["parameters"]} >= {"serial", "start", "end"}
    assert "application/atom+xml" in export["responses"]["200"]["content"]


# --- What the importer inferred ----------------------------------------------------------------

GAS_DAILY_POINT = (
    "https://greenbutton.gas-utility.example/DataCustodian/espi/1_1/resource/"
    "Subscription/52017/UsagePoint/1"
)
GAS_DAILY_NOTE = (
    f"UsagePoint {GAS_DAILY_POINT} has no ServiceCategory/kind; gas was inferred from "
    "ReadingType urn:uuid:9d4f6a13-7b2e-4c8d-a5f1-3e6b0c9d2a47 (uom 169 therm, commodity 7)"
)


def test_a_gas_feed_without_service_category_is_imported_as_gas_and_the_batch_says_why(
    api_client_for, upload, admin_client
):
    client = api_client_for("ingest")
    batch = batch_json(upload("gas_daily_no_service_category.xml", client=client), client)

    assert batch["status"] == "done", batch
    assert batch["notes"] == [GAS_DAILY_NOTE]
    # The usage point is registered as gas, waiting for staff to choose its meter.
    point = GreenButtonUsagePoint.objects.get()
    assert (point.identifier, point.commodity, point.meter) == (GAS_DAILY_POINT, "gas", None)
    assert point.title == "Gas Service - 12 Elm St"
    assert batch["counts"]["rejected"] == 28  # 2 blocks × 14 days, held, not lost
    assert {row["reason"] for row in batch["rejected_rows"]} == {"unmapped_usage_point"}

    # The admin's batch page shows the note as well.
    page = admin_client.get(f"/admin/energy/ingestbatch/{batch['id']}/change/")
    assert page.status_code == 200
    assert f"<li>{GAS_DAILY_NOTE}</li>" in page.content.decode()


def test_a_batch_with_nothing_inferred_has_no_notes(api_client_for, upload):
    client = api_client_for("ingest")
    batch = batch_json(upload("electric_containerized.xml", client=client), client)
    assert batch["notes"] == []
    assert IngestBatch.objects.get(pk=batch["id"]).notes == []


def test_ingest_file_command_prints_the_notes(db, capsys):
    factories.UserFactory(username="ops", is_superuser=True)
    call_command("ingest_file", str(DATA / "gas_daily_no_service_category.xml"), verbosity=0)
    assert f"note: {GAS_DAILY_NOTE}" in capsys.readouterr().out
    assert IngestBatch.objects.get().notes == [GAS_DAILY_NOTE]


def test_a_feed_whose_reading_types_disagree_is_refused_naming_them(upload):
    text = (
        (DATA / "gas_daily_no_service_category.xml")
        .read_text()
        .replace("<espi:commodity>7</espi:commodity>", "<espi:commodity>1</espi:commodity>")
    )
    response = upload(text)
    assert response.status_code == 400, response.content
    assert response.json()["message"] == (
        f"UsagePoint {GAS_DAILY_POINT} has no ServiceCategory/kind, and its ReadingType "
        "urn:uuid:9d4f6a13-7b2e-4c8d-a5f1-3e6b0c9d2a47 disagrees with itself: uom 169 (therm) "
        "is gas but commodity 1 is electricity."
    )
    assert not IngestBatch.objects.exists()


def test_openapi_schema_documents_the_batch_notes(admin_client):
    schema = admin_client.get("/api/v1/schema/", {"format": "json"}).json()
    notes = schema["components"]["schemas"]["BatchOutput"]["properties"]["notes"]
    assert notes["type"] == "array"
    assert notes["items"]["type"] == "string"
    assert notes["readOnly"] is True


def test_daily_bins_of_23_and_25_hours_are_stored_as_the_days_they_are(api_client_for, upload):
    """A New York gas meter's daily feed: every bin, the short and the long day too, becomes
    one day of use (a one-day billing period) of its meter, on the premise's own days."""
    new_york = factories.RegionFactory(name="New York", time_zone="America/New_York")
    meter = factories.MeterFactory(
        serial="G-NY-1",
        commodity="gas",
        unit="m3",
        interval_minutes=60,
        premise=factories.PremiseFactory(region=new_york),
    )
    GreenButtonUsagePoint.objects.create(identifier=GAS_DAILY_POINT, commodity="gas", meter=meter)
    client = api_client_for("ingest")

    batch = batch_json(upload("gas_daily_no_service_category.xml", client=client), client)

    assert batch["counts"]["rejected"] == 0, batch["rejected_rows"]
    days = {p.start: p for p in BillingPeriod.objects.filter(meter=meter)}
    assert len(days) == 28 and all(p.days == 1 for p in days.values())
    assert days[date(2024, 3, 10)].usage == pytest.approx(2.910 * 105.4804 / 45)  # 23 hours
    assert date(2024, 11, 3) in days  # 25 hours
    assert days[date(2024, 11, 6)].estimated
    assert sum(p.usage for p in days.values()) == pytest.approx(167.971676978)
    assert any("28 readings of whole days (one day each)" in note for note in batch["notes"])

    # The savings engine reads them as the meter's daily use where no readings exist.
    _dates, usage, _temperature = meter_daily_series(
        meter=meter, start=date(2024, 3, 9), end=date(2024, 3, 11)
    )
    assert usage[1] == pytest.approx(2.910 * 105.4804 / 45)
