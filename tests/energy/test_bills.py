"""Billing periods: the bill file, the import, the API and ``manage.py import_bills``."""

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from energy.access import DATA_TEAM
from energy.apikeys.models import ApiScope
from energy.bills.models import BillingPeriod
from energy.bills.parse import BillFileInvalid, billing_periods_parse
from energy.bills.services import billing_periods_import
from tests import factories

BILLS = """start,end,value,cost
2025-01-06,2025-02-04,612.5,19850
2025-02-05,2025-03-05,540,17620
2025-03-06,2025-04-06,431.25,
"""
URL = "/api/v1/meters/{}/billing-periods/"


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English messages; the Japanese ones are checked by
    tests/dashboards/test_translations.py."""
    with translation.override("en"):
        yield


def test_a_bill_file_gives_each_period_with_its_days_and_cost():
    parsed = billing_periods_parse(BILLS)

    assert not parsed.ends_are_read_days
    assert [(p.start, p.end, p.days, p.usage, p.cost_jpy) for p in parsed.periods] == [
        (date(2025, 1, 6), date(2025, 2, 4), 30, 612.5, 19850.0),
        (date(2025, 2, 5), date(2025, 3, 5), 29, 540.0, 17620.0),
        (date(2025, 3, 6), date(2025, 4, 6), 32, 431.25, None),
    ]


def test_ends_that_are_the_next_periods_first_day_are_read_as_reading_days():
    parsed = billing_periods_parse(
        "start,end,value\n2025-01-06,2025-02-05,10\n2025-02-05,2025-03-06,20\n"
    )

    assert parsed.ends_are_read_days
    assert [(p.start, p.end) for p in parsed.periods] == [
        (date(2025, 1, 6), date(2025, 2, 4)),
        (date(2025, 2, 5), date(2025, 3, 5)),
    ]


def test_every_bad_line_is_reported_with_its_reason_and_nothing_is_taken():
    text = (
        "start,end,value,estimated\n"
        "2025-01-06,2025-02-04,612.5,no\n"
        "2025-02-31,2025-03-05,540,no\n"
        "2025-03-06,2025-03-01,10,no\n"
        "2025-04-01,2025-04-30,-3,no\n"
        "2025-05-01,2025-05-31,,maybe\n"
    )
    with pytest.raises(BillFileInvalid) as raised:
        billing_periods_parse(text, source="bills.csv")

    rows = raised.value.details["rows"]
    assert [row["line"] for row in rows] == [3, 4, 5, 6, 6]
    problems = " | ".join(row["problem"] for row in rows)
    assert "start '2025-02-31' is not a date" in problems
    assert "end 2025-03-01 is before start 2025-03-06" in problems
    assert "value -3 is negative" in problems
    assert "value is empty" in problems
    assert "estimated 'maybe'" in problems
    assert str(raised.value.message).startswith("bills.csv: line 3:")


def test_overlapping_periods_in_a_file_name_both_lines():
    with pytest.raises(BillFileInvalid) as raised:
        billing_periods_parse("start,end,value\n2025-01-01,2025-01-31,1\n2025-01-20,2025-02-19,2\n")

    assert raised.value.details["rows"] == [
        {
            "line": 3,
            "problem": "the period 2025-01-20 to 2025-02-19 overlaps the one on line 2 "
            "(2025-01-01 to 2025-01-31).",
        }
    ]


@pytest.mark.parametrize(
    "text",
    ["", "date,value\n2025-01-01,3\n", "start,end,value\n", "start,end,value,tariff\n1,2,3,4\n"],
)
def test_a_file_that_is_not_a_bill_file_says_what_it_needs(text):
    with pytest.raises(BillFileInvalid) as raised:
        billing_periods_parse(text)

    assert raised.value.details["rows"]


@given(
    first=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 1, 1)),
    lengths=st.lists(st.integers(min_value=1, max_value=62), min_size=1, max_size=30),
    usage=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_consecutive_periods_read_back_as_written(first, lengths, usage):
    starts = [first]
    for length in lengths[:-1]:
        starts.append(starts[-1] + timedelta(days=length))
    ends = [
        start + timedelta(days=length - 1) for start, length in zip(starts, lengths, strict=True)
    ]
    text = "start,end,value\n" + "".join(
        f"{s.isoformat()},{e.isoformat()},{usage!r}\n" for s, e in zip(starts, ends, strict=True)
    )

    parsed = billing_periods_parse(text)

    assert [(p.start, p.end, p.usage) for p in parsed.periods] == [
        (s, e, usage) for s, e in zip(starts, ends, strict=True)
    ]
    assert [p.days for p in parsed.periods] == lengths


def data_team():
    return factories.UserFactory(groups=[DATA_TEAM])


@pytest.fixture
def meter(db):
    return factories.MeterFactory(serial="G-BILL", commodity="gas", unit="m3", interval_minutes=60)


def test_an_import_adds_new_periods_replaces_corrected_ones_and_counts_the_rest(meter):
    first = billing_periods_import(meter=meter, periods=billing_periods_parse(BILLS).periods)
    corrected = BILLS.replace("540,17620", "545,17790")
    again = billing_periods_import(meter=meter, periods=billing_periods_parse(corrected).periods)

    assert first.as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    assert again.as_dict() == {"created": 0, "updated": 1, "unchanged": 2}
    assert BillingPeriod.objects.get(meter=meter, start=date(2025, 2, 5)).usage == 545.0


def test_a_period_overlapping_a_stored_one_is_refused_and_nothing_is_stored(meter):
    billing_periods_import(meter=meter, periods=billing_periods_parse(BILLS).periods)
    shifted = "start,end,value\n2025-04-07,2025-05-06,300\n2025-03-20,2025-04-06,100\n"

    with pytest.raises(BillFileInvalid) as raised:
        billing_periods_import(meter=meter, periods=billing_periods_parse(shifted).periods)

    assert "overlaps the stored period 2025-03-06 to 2025-04-06" in raised.value.message
    assert BillingPeriod.objects.filter(meter=meter).count() == 3  # the good line neither


def test_a_period_that_is_not_over_yet_is_refused(meter):
    today = timezone.localdate(timezone=meter.premise.region.tzinfo)
    text = f"start,end,value\n{today - timedelta(days=20)},{today + timedelta(days=9)},10\n"

    with pytest.raises(BillFileInvalid, match="not over yet"):
        billing_periods_import(meter=meter, periods=billing_periods_parse(text).periods)


def test_the_data_team_imports_a_bill_file_and_exports_it(meter, api_client_for):
    importer = api_client_for(ApiScope.INGEST, user=data_team())
    exporter = api_client_for(ApiScope.EXPORT)

    created = importer.post(URL.format(meter.serial), BILLS, content_type="text/csv")
    listed = exporter.get(URL.format(meter.serial))
    march = exporter.get(URL.format(meter.serial) + "?start=2025-03-06&end=2025-03-07")

    assert created.status_code == 201, created.json()
    assert created.json() == {
        "meter": "G-BILL",
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "ends_are_read_days": False,
    }
    assert listed.json()[0] == {
        "start": "2025-01-06",
        "end": "2025-02-04",
        "days": 30,
        "usage": 612.5,
        "cost_jpy": 19850.0,
        "estimated": False,
        "source": "api",
    }
    assert [p["start"] for p in march.json()] == ["2025-03-06"]


def test_a_bad_bill_file_is_a_400_with_a_reason_per_line(meter, api_client_for):
    response = api_client_for(ApiScope.INGEST, user=data_team()).post(
        URL.format(meter.serial),
        "start,end,value\n2025-01-01,2025-01-31,x\n2025-02-01,2025-02-28,4\n2025-03-01,,5\n",
        content_type="text/csv",
    )

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid_bill_file"
    assert [row["line"] for row in body["details"]["rows"]] == [2, 4]
    assert not BillingPeriod.objects.exists()


def test_a_meter_gateways_key_cannot_write_bills(meter, gateway_client):
    """Gateways post readings; bills change what customers read, so only the Data team."""
    response = gateway_client.post(URL.format(meter.serial), BILLS, content_type="text/csv")

    assert response.status_code == 403
    assert not BillingPeriod.objects.exists()


def test_a_period_overlapping_a_later_one_beyond_its_neighbour_is_found():
    text = (
        "start,end,value\n"
        "2025-01-01,2025-03-31,9\n"
        "2025-01-10,2025-01-10,1\n"
        "2025-02-01,2025-02-01,1\n"  # inside the first period, not only its neighbour's
    )
    with pytest.raises(BillFileInvalid) as raised:
        billing_periods_parse(text)

    assert [row["line"] for row in raised.value.details["rows"]] == [3, 4]


def test_a_value_no_bill_can_have_is_refused():
    with pytest.raises(BillFileInvalid, match="larger than any bill"):
        billing_periods_parse("start,end,value\n2025-01-01,2025-01-31,1e300\n")


def test_importing_needs_the_ingest_scope_and_a_body_in_csv(meter, api_client_for):
    exporter = api_client_for(ApiScope.EXPORT)
    importer = api_client_for(ApiScope.INGEST, user=data_team())

    assert (
        exporter.post(URL.format(meter.serial), BILLS, content_type="text/csv").status_code == 403
    )
    as_json = importer.post(URL.format(meter.serial), {"periods": []}, format="json")
    assert as_json.status_code == 415
    assert importer.post(URL.format("NOPE"), BILLS, content_type="text/csv").status_code == 404


def test_a_customer_reads_their_own_bills_and_not_anothers(meter, session_client_for):
    billing_periods_import(meter=meter, periods=billing_periods_parse(BILLS).periods)
    someone_else = factories.MeterFactory(serial="G-OTHER", commodity="gas", unit="m3")
    owner = meter.premise.owner
    client = session_client_for(owner)

    assert len(client.get(URL.format(meter.serial)).json()) == 3
    assert client.get(URL.format(someone_else.serial)).status_code == 404
    assert client.post(URL.format(meter.serial), BILLS, content_type="text/csv").status_code == 403


def test_the_command_imports_a_file_and_reports_what_it_did(meter, tmp_path, capsys):
    path = tmp_path / "bills.csv"
    path.write_text(BILLS, encoding="utf-8")

    call_command("import_bills", str(path), "--meter", "G-BILL")

    assert "3 periods added, 0 replaced, 0 already stored" in capsys.readouterr().out
    assert BillingPeriod.objects.filter(meter=meter).count() == 3


def test_the_command_names_each_bad_line_and_exits_2(meter, tmp_path):
    path = tmp_path / "bills.csv"
    path.write_text("start,end,value\n2025-01-01,2025-01-31,one\n", encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        call_command("import_bills", str(path), "--meter", "G-BILL")

    assert raised.value.returncode == 2
    assert "line 2: value 'one' is not a number" in str(raised.value)
    with pytest.raises(CommandError, match="No meter with serial 'X'"):
        call_command("import_bills", str(path), "--meter", "X")


@given(
    body=st.text(alphabet=st.sampled_from(list('start,endvalueco1-0 2.\n\r"x\x00é')), max_size=300)
)
def test_any_text_is_a_bill_file_or_a_clear_refusal(body):
    """Hostile or broken files never get past the parser as anything but periods or reasons."""
    try:
        parsed = billing_periods_parse("start,end,value\n" + body)
    except BillFileInvalid as error:
        assert error.details["rows"]
        assert all(row["problem"] for row in error.details["rows"])
    else:
        assert all(p.start <= p.end and p.usage >= 0 for p in parsed.periods)
