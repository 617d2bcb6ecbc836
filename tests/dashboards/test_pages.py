"""The customer portal through its URLs: what a customer sees, and what they cannot reach."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider

from energy.models import Commodity
from energy.savings.models import Recommendation
from energy.usage import selectors
from energy.usage.selectors import period_of
from flags.services import FRAMINGS
from flags.testutils import override_provider
from tests import factories
from tests.dashboards.conftest import (
    home_create,
    recommendations_create,
    weather_and_factors_create,
)

pytestmark = pytest.mark.django_db


def usage_url(meter, period, key, measure="use", csv_file=False, header="codes"):
    """A usage page, or its CSV with the machine-readable header row (``header="codes"``, what
    a script reads by column name) unless asked for the reader's labels."""
    name = "dashboards:usage_csv" if csv_file else "dashboards:usage"
    url = reverse(name, kwargs={"meter_id": meter.pk, "period": period, "key": key})
    return f"{url}?measure={measure}" + (f"&header={header}" if csv_file else "")


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def card_html(response, recommendation) -> str:
    """The rendered card of one recommendation on a page."""
    body = response.content.decode()
    found = re.search(
        rf'<article[^>]*id="recommendation-{recommendation.pk}">.*?</article>', body, re.S
    )
    assert found, f"no card for recommendation {recommendation.pk}"
    return found.group(0)


def headings(response) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", response.content.decode())


# --- signing in ---------------------------------------------------------------------------------


def test_a_visitor_sees_how_to_log_in_and_pages_send_them_to_the_login_form(client, home):
    landing = client.get("/")
    assert landing.status_code == 200
    assert reverse("login").encode() in landing.content
    page = client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))


def test_logging_in_with_the_form_lands_on_the_customers_own_home(client, home):
    response = client.post(
        reverse("login"), {"username": "hanako", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "dashboards:premise_home", args=[home.premise.pk]
    )
    assert "HANAKO home" in response.content.decode()


def test_a_wrong_password_is_a_form_error(client, home):
    response = client.post(reverse("login"), {"username": "hanako", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors


# --- home ---------------------------------------------------------------------------------------


def test_home_compares_this_month_so_far_with_the_same_days_before(english_client, home):
    recommendations_create(home)
    days = (home.today - home.today.replace(day=1)).days
    response = english_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    assert response.status_code == 200
    electricity = response.context["comparisons"][0]["view"]
    if days == 0:  # the first of the month: no complete day yet, and the page says so
        assert electricity.rows == []
        assert "No complete day" in electricity.notes[0]
        return
    this, _last_month, last_year = electricity.rows
    # 10 kWh a day recently; 12 kWh a day a year ago (see conftest).
    assert this.cells[0] == f"{days * 10:,.1f} kWh"
    assert last_year.cells[0] == f"{days * 12:,.1f} kWh"
    assert last_year.cells[4] == f"{100 * (10 - 12) / 12:+.0f} %"
    assert any("3.0" in note for note in electricity.notes)  # 5 °C now, 2 °C a year ago
    body = response.content.decode()
    assert 'id="chart-month-so-far-0"' in body
    assert 'id="chart-month-so-far-0-figure"' in body


def test_home_shows_the_forecast_the_comparison_the_alert_and_the_top_savings(english_client, home):
    recommendations_create(home)
    response = english_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    body = response.content.decode()
    top = [card.recommendation.kind for card in response.context["cards"].top]
    assert top == ["heating", "standby"]  # by yen a year; comparisons are not "savings"
    assert [c.recommendation.kind for c in response.context["cards"].alerts] == ["high_usage"]
    assert "13,300" in body  # the bill forecast's yen
    assert "21 % more than efficient similar homes" in body


def test_home_names_each_meter_when_a_home_has_two_of_a_kind(english_client, home):
    factories.MeterFactory(
        premise=home.premise, serial="HANAKO-E2", commodity=Commodity.ELECTRICITY, unit="kWh"
    )
    page = english_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    shown = headings(page)
    assert "Electricity HANAKO-E: this month so far" in shown
    assert "Electricity HANAKO-E2: this month so far" in shown
    assert "Gas: this month so far" in shown  # the only gas meter keeps the plain title
    assert "Electricity: this month so far" not in shown
    english_client.cookies["django_language"] = "ja"
    page = english_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    assert "電気 HANAKO-E2：今月これまで" in headings(page)


def test_home_keeps_the_plain_title_with_one_meter_of_each_kind(english_client, home):
    page = english_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    shown = headings(page)
    assert "Electricity: this month so far" in shown
    assert "Gas: this month so far" in shown
    assert not any("HANAKO" in heading for heading in shown)


def test_home_in_japanese_writes_the_change_and_the_degrees_one_way(client, sapporo, monkeypatch):
    """The change column says whose change it is, and °C and % are written as in the
    sentences below the table (℃, no space before %)."""
    today = date(2026, 11, 20)  # a fixed day, so the month so far has complete days
    monkeypatch.setattr(selectors, "local_today", lambda *, premise=None: today)
    home = home_create(
        region=sapporo,
        owner=factories.UserFactory(username="michiko"),
        today=today,
        serial_prefix="MICHIKO",
        with_readings=False,
    )
    weather_and_factors_create(region=sapporo, days=home.days, today=today)
    client.force_login(home.customer)
    page = client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    [table] = re.findall(
        r'<table id="chart-month-so-far-0-table" class="reflow">.*?</table>',
        page.content.decode(),
        re.S,
    )
    assert '<th scope="col">今月の増減</th>' in table
    # Each value with its column's header, shown beside it where the table reflows (a phone).
    assert '<td data-label="今月の増減">-17%</td>' in table  # 10 kWh a day now, 12 a year ago
    assert '<td data-label="平均気温">5.0℃</td>' in table
    assert "°C" not in table and " %" not in table


def test_home_says_so_when_there_is_nothing_to_show_yet(customer_client, home):
    response = customer_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    assert response.status_code == 200
    assert response.context["cards"].forecasts == []
    assert response.context["cards"].top == []


# --- usage explorer -----------------------------------------------------------------------------


def test_month_view_bills_each_day_from_the_months_bill(customer_client, home):
    month = period_of("month", home.today - timedelta(days=100))
    response = customer_client.get(usage_url(home.electricity, "month", month.key, "yen"))
    assert response.status_code == 200
    days_in_month = (month.end - month.start).days + 1
    kwh = 12.0 * days_in_month
    # Tiers 120 × 30 + 180 × 40 + rest × 50 yen, fuel 2 + levy 3 yen/kWh, basic 1,000 yen.
    energy = 120 * 30 + 180 * 40 + (kwh - 300) * 50
    bill = 1000 + energy + kwh * 5
    rows = csv_rows(
        customer_client.get(usage_url(home.electricity, "month", month.key, "yen", True))
    )
    assert len(rows) == days_in_month
    # Whole yen: each day's share of the bill, rounded; together within a yen a day.
    assert rows[0]["cost_jpy"] == f"{bill / days_in_month:.0f}"
    assert all(r["cost_jpy"].isdigit() for r in rows)
    assert sum(int(r["cost_jpy"]) for r in rows) == pytest.approx(bill, abs=days_in_month / 2)
    assert rows[0]["temperature_mean_c"] == "2.0"


def test_day_view_shows_the_half_hours_and_the_csv_matches_the_chart(customer_client, home):
    yesterday = home.today - timedelta(days=1)
    page = customer_client.get(usage_url(home.electricity, "day", yesterday.isoformat()))
    assert page.status_code == 200
    assert len(page.context["table"].rows) == 48
    assert page.context["table"].rows[0].label == "00:00"
    rows = csv_rows(
        customer_client.get(
            usage_url(home.electricity, "day", yesterday.isoformat(), csv_file=True)
        )
    )
    assert len(rows) == 48
    assert rows[0]["interval_start_local"].endswith("T00:00:00+09:00")
    assert sum(float(r["use_kwh"]) for r in rows) == pytest.approx(10.0, abs=1e-3)
    co2 = csv_rows(
        customer_client.get(
            usage_url(home.electricity, "day", yesterday.isoformat(), "co2", csv_file=True)
        )
    )
    assert sum(float(r["co2_kg"]) for r in co2) == pytest.approx(5.0, abs=1e-3)  # 0.5 kg/kWh


def test_year_view_puts_each_month_beside_the_same_month_a_year_before(customer_client, home):
    year = home.today.year
    rows = csv_rows(customer_client.get(usage_url(home.gas, "year", str(year), csv_file=True)))
    assert [r["month"] for r in rows] == [f"{m:02d}" for m in range(1, 13)]
    month = home.today.month - 1 or 1
    days = period_of("month", home.today.replace(month=month, day=1)).end.day
    assert float(rows[month - 1][f"use_m3_{year}"]) == pytest.approx(2.0 * days)


def test_previous_and_next_move_by_the_period_and_stop_at_today(customer_client, home):
    this_month = period_of("month", home.today)
    page = customer_client.get(usage_url(home.gas, "month", this_month.key))
    assert page.context["next_url"] is None
    assert this_month.shifted(-1).key in page.context["previous_url"]
    older = customer_client.get(usage_url(home.gas, "month", this_month.shifted(-3).key))
    assert this_month.shifted(-2).key in older.context["next_url"]


def test_a_meter_link_opens_this_months_view(customer_client, home):
    response = customer_client.get(reverse("dashboards:meter_latest", args=[home.gas.pk]))
    month = period_of("month", home.today - timedelta(days=1))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "dashboards:usage", kwargs={"meter_id": home.gas.pk, "period": "month", "key": month.key}
    )


def test_a_bad_measure_is_a_400_with_the_choices_and_a_malformed_period_a_404(
    customer_client, home
):
    bad = customer_client.get(usage_url(home.gas, "month", "2026-11", "watts"))
    assert bad.status_code == 400
    assert b"use, yen, co2" in bad.content
    assert customer_client.get(usage_url(home.gas, "month", "2026-13")).status_code == 404
    assert customer_client.get(usage_url(home.gas, "day", "yesterday")).status_code == 404


def test_yen_says_why_it_is_missing_instead_of_inventing_a_number(english_client, home):
    home.premise.electricity_tariff = None
    home.premise.save()
    month = period_of("month", home.today - timedelta(days=40))
    page = english_client.get(usage_url(home.electricity, "month", month.key, "yen"))
    assert page.status_code == 200
    assert page.context["total"] == "—"
    assert "no tariff is set for your premise" in page.content.decode()
    co2 = english_client.get(usage_url(home.electricity, "month", month.key, "co2"))
    assert co2.context["total"] != "—"  # CO2 does not depend on the tariff


def test_one_missing_adjustment_leaves_only_its_own_month_without_yen(customer_client, home):
    from energy.tariffs.models import FuelCostAdjustment

    missing = period_of("month", home.today - timedelta(days=100))
    FuelCostAdjustment.objects.filter(month=missing.start).delete()
    rows = csv_rows(
        customer_client.get(
            usage_url(home.electricity, "year", str(missing.start.year), "yen", csv_file=True)
        )
    )
    by_month = {r["month"]: r[f"cost_jpy_{missing.start.year}"] for r in rows}
    assert by_month[f"{missing.start:%m}"] == ""
    priced = [m for m, v in by_month.items() if v]
    assert priced, "the other months keep their yen"


def test_period_names_are_canonical_and_not_in_the_future(customer_client, home):
    month = period_of("month", home.today)
    short = f"{month.start.year}-{month.start.month}"
    if short != month.key:
        assert customer_client.get(usage_url(home.gas, "month", short)).status_code == 404
    future = month.shifted(2).key
    assert customer_client.get(usage_url(home.gas, "month", future)).status_code == 404
    oldest = customer_client.get(usage_url(home.gas, "year", "2000"))
    assert oldest.status_code == 200
    assert oldest.context["previous_url"] is None


# --- recommendations ----------------------------------------------------------------------------


def test_recommendations_list_shows_the_basis_and_records_will_do(english_client, home):
    made = recommendations_create(home)
    page = english_client.get(reverse("dashboards:recommendations", args=[home.premise.pk]))
    body = page.content.decode()
    assert "How we estimated this" in body
    assert "Your heating: 0.35 m³ per degree-day, 0.29 m³ per 100 m² of floor." in body
    assert (
        "Per 100 m² of floor, gas-heated detached houses in Sapporo: median 0.23 m³, "
        "middle half 0.20 to 0.27 m³." in body
    )
    assert "A comparison with similar homes, not a saving we can promise." in body
    response = english_client.post(
        reverse("dashboards:recommendation_status", args=[made["heating"].pk]),
        {"status": "will_do"},
    )
    assert response.status_code == 302
    made["heating"].refresh_from_db()
    assert made["heating"].status == "will_do"


def test_a_done_recommendation_shows_its_measured_saving(english_client, home):
    made = recommendations_create(home)
    Recommendation.objects.filter(pk=made["standby"].pk).update(
        status="done",
        measured_fractional_savings=0.081,
        measured_fractional_savings_uncertainty=0.02,
    )
    page = english_client.get(reverse("dashboards:recommendations", args=[home.premise.pk]))
    assert "8.1 % less (± 2.0 %)" in page.content.decode()


def peak_shift_create(home) -> Recommendation:
    """A peak shift as the engine writes it: yen saved, no kWh (use moves, it is not cut)."""
    return Recommendation.objects.create(
        premise=home.premise,
        meter=home.electricity,
        kind="peak_shift",
        unit="kWh",
        saving_per_year=0.0,
        saving_jpy=11_803.0,
        saving_co2_kg=0.0,
        computed_at=timezone.now(),
        confidence="high",
        basis={
            "peak_hours": "17:00-22:00",
            "peak_band": {"name": "peak", "name_ja": "ピーク", "name_en": "peak"},
            "peak_use_per_year": 2_951.0,
            "shift_percent": 20.0,
            "shifted_per_year": 590.2,
            "price_difference_yen": 20.0,
            "days_with_data": 90,
            "window_days": 90,
            "price_jpy_per_unit": 41.0,
            "co2_kg_per_unit": 0.5,
        },
    )


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_peak_shift_leads_with_its_yen_and_shows_no_zero_kwh(english_client, home, framing):
    shift = peak_shift_create(home)
    framing_flag = InMemoryFlag(framing, {framing: framing})
    with override_provider(InMemoryProvider({"recommendation_framing": framing_flag})):
        for url in (
            reverse("dashboards:recommendations", args=[home.premise.pk]),
            reverse("dashboards:premise_home", args=[home.premise.pk]),
        ):
            card = card_html(english_client.get(url), shift)
            assert '<p class="figure">¥11,803 a year</p>' in card, url
            assert not re.search(r"(?<![\d.,])0 (kWh|kg CO2)", card), url


def test_information_cards_show_no_status_and_no_buttons(customer_client, home):
    made = recommendations_create(home)
    page = customer_client.get(reverse("dashboards:recommendations", args=[home.premise.pk]))
    for kind in ("bill_forecast", "similar_homes", "high_usage"):
        card = card_html(page, made[kind])
        assert "状態" not in card, kind
        assert 'name="status"' not in card, kind
    for kind in ("standby", "heating"):
        card = card_html(page, made[kind])
        assert '状態: <span class="status">未対応</span>' in card, kind
        assert 'name="status"' in card, kind
    home_page = customer_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    assert "状態" not in card_html(home_page, made["high_usage"])  # the alert at the top
    assert "状態" in card_html(home_page, made["standby"])


def test_an_unknown_status_is_refused(customer_client, home):
    made = recommendations_create(home)
    response = customer_client.post(
        reverse("dashboards:recommendation_status", args=[made["standby"].pk]),
        {"status": "maybe"},
    )
    assert response.status_code == 400
    made["standby"].refresh_from_db()
    assert made["standby"].status == "new"


def test_information_is_not_something_to_mark_done(customer_client, home):
    made = recommendations_create(home)
    response = customer_client.post(
        reverse("dashboards:recommendation_status", args=[made["bill_forecast"].pk]),
        {"status": "done"},
    )
    assert response.status_code == 400
    made["bill_forecast"].refresh_from_db()
    assert made["bill_forecast"].status == "new"


def test_not_for_me_leaves_the_top_savings(customer_client, home):
    made = recommendations_create(home)
    customer_client.post(
        reverse("dashboards:recommendation_status", args=[made["heating"].pk]),
        {"status": "not_for_me"},
    )
    page = customer_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    assert [c.recommendation.kind for c in page.context["cards"].top] == ["standby"]


def test_status_forms_need_the_csrf_token(client, home):
    made = recommendations_create(home)
    client.handler.enforce_csrf_checks = True
    client.force_login(home.customer)
    response = client.post(
        reverse("dashboards:recommendation_status", args=[made["standby"].pk]),
        {"status": "done"},
    )
    assert response.status_code == 403


# --- someone else's home ------------------------------------------------------------------------


def test_another_customers_premise_meter_and_recommendation_are_404(customer_client, neighbour):
    theirs = recommendations_create(neighbour)
    month = period_of("month", neighbour.today).key
    urls = [
        reverse("dashboards:premise_home", args=[neighbour.premise.pk]),
        reverse("dashboards:recommendations", args=[neighbour.premise.pk]),
        reverse("dashboards:meter_latest", args=[neighbour.electricity.pk]),
        usage_url(neighbour.electricity, "month", month),
        usage_url(neighbour.electricity, "month", month, csv_file=True),
    ]
    for url in urls:
        assert customer_client.get(url).status_code == 404, url
    post = customer_client.post(
        reverse("dashboards:recommendation_status", args=[theirs["standby"].pk]),
        {"status": "done"},
    )
    assert post.status_code == 404
    theirs["standby"].refresh_from_db()
    assert theirs["standby"].status == "new"


def test_a_customer_with_two_homes_can_switch_between_them(customer_client, home, sapporo):
    from tests.dashboards.conftest import home_create

    second = home_create(
        region=sapporo,
        owner=home.customer,
        today=home.today,
        serial_prefix="CABIN",
        with_readings=False,
    )
    page = customer_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    body = page.content.decode()
    assert reverse("dashboards:premise_home", args=[second.premise.pk]) in body
    other = customer_client.get(reverse("dashboards:premise_home", args=[second.premise.pk]))
    assert other.status_code == 200
    assert "CABIN home" in other.content.decode()


def test_a_held_back_estimate_says_its_share_to_a_tenth_and_prices_are_rounded(
    english_client, home
):
    made = recommendations_create(home)
    standby = made["standby"]
    standby.saving_per_year = standby.saving_jpy = standby.saving_co2_kg = None
    standby.basis = {
        **standby.basis,
        "price_jpy_per_unit": 33.6467,
        "plausibility": {
            "cap": {"share": 0.10, "of": "annual_use", "claimed_share": 0.1049, "exceeded": True}
        },
    }
    standby.save()

    body = english_client.get(
        reverse("dashboards:recommendations", args=[home.premise.pk])
    ).content.decode()

    # 10.49 % is not "10 %, beyond the 10 % cap"; ¥33.6467 is ¥33.65, not ¥33.64.
    assert "the estimate came to 10.5 % of your annual use, beyond the 10 %" in body
    assert "¥33.65 per kWh" in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", ["日付", "円", "平均気温（℃）"]),
        ("en", ["Date", "yen", "Mean temperature (°C)"]),
    ],
)
def test_the_csv_header_is_in_the_readers_language_and_codes_on_request(
    customer_client, home, language, expected
):
    month = period_of("month", home.today - timedelta(days=1))
    url = usage_url(home.electricity, "month", month.key, "yen", csv_file=True, header="labels")
    customer_client.cookies["django_language"] = language

    labelled = customer_client.get(url).content.decode().splitlines()
    codes = customer_client.get(url.replace("header=labels", "header=codes")).content.decode()

    assert next(csv.reader([labelled[0]])) == expected
    assert codes.splitlines()[0] == "date,cost_jpy,temperature_mean_c"
    assert labelled[1:] == codes.splitlines()[1:]  # the same numbers either way
    bad = customer_client.get(url.replace("header=labels", "header=xml"))
    assert bad.status_code == 400
