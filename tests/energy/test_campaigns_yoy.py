"""Year-on-year saving points: hand-computed months, the cap, late data, no double awards."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from energy.access import DATA_TEAM
from energy.campaigns.ledger import points_award, points_balance, points_held
from energy.campaigns.models import PointsEntry, YearOnYearCampaign
from energy.campaigns.year_on_year import (
    SETTLED_AFTER_DAYS,
    yoy_awards_compute,
    yoy_awards_recompute,
)
from energy.models import DailyUsage
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)


def month_days(year: int, month: int) -> list[date]:
    day, days = date(year, month, 1), []
    while day.month == month:
        days.append(day)
        day += timedelta(days=1)
    return days


def usage(meter, days, kwh_per_day: float, intervals: int = 48) -> None:
    DailyUsage.objects.bulk_create(
        DailyUsage(
            meter=meter,
            date=d,
            total=kwh_per_day,
            baseload=0.1,
            peak=1.0,
            peak_at=datetime(d.year, d.month, d.day, 3, tzinfo=UTC),
            night_total=1.0,
            intervals=intervals,
        )
        for d in days
    )


@pytest.fixture
def customer(db):
    user = factories.UserFactory(username="yuki")
    premise = factories.PremiseFactory(owner=user, region=factories.RegionFactory(name="Sapporo"))
    meter = factories.MeterFactory(
        premise=premise, serial="E-Y", commodity="electricity", unit="kWh"
    )
    return user, premise, meter


def campaign_create(**fields) -> YearOnYearCampaign:
    values = dict(
        title_ja="前年比3%節電",
        title_en="Save 3 % on last year",
        status="announced",
        commodity="electricity",
        period_start=date(2026, 9, 1),
        period_end=date(2027, 2, 28),
        min_saving_percent=3,
        points_per_month=100,
        cap_points=250,
    )
    values.update(fields)
    return YearOnYearCampaign.objects.create(**values)


def test_a_month_at_least_3_percent_below_last_year_earns_its_points(customer):
    user, premise, meter = customer
    # September: 9.6 vs 10 kWh a day (4 % less) qualifies; October: 9.8 vs 10 (2 %) does not.
    usage(meter, month_days(2025, 9) + month_days(2025, 10), 10.0)
    usage(meter, month_days(2026, 9), 9.6)
    usage(meter, month_days(2026, 10), 9.8)
    campaign = campaign_create()

    summary = yoy_awards_compute(campaign=campaign, today=TODAY)

    assert summary["qualifying"] == 1 and summary["points"] == 100
    [line] = PointsEntry.objects.all()
    assert line.award_key == f"yoy:{campaign.pk}:{premise.pk}:2026-09"
    assert line.basis["saving_percent"] == pytest.approx(4.0)
    assert line.basis["reference_use"] == pytest.approx(300.0)
    assert line.basis["this_month_use"] == pytest.approx(288.0)
    assert points_balance(user_id=user.pk) == 100


def test_the_cap_limits_a_customers_points(customer):
    user, _premise, meter = customer
    campaign = campaign_create(
        period_start=date(2026, 7, 1), period_end=date(2026, 10, 31), cap_points=250
    )
    for month in (7, 8, 9, 10):
        usage(meter, month_days(2025, month), 10.0)
        usage(meter, month_days(2026, month), 9.0)
    yoy_awards_compute(campaign=campaign, today=TODAY)
    held = sorted(PointsEntry.objects.values_list("award_key", "points"))
    assert [points for _key, points in held] == [100, 100, 50]  # the cap reached in September
    assert points_balance(user_id=user.pk) == 250


def test_an_incomplete_month_waits_and_late_readings_award_once(customer):
    _user, _premise, meter = customer
    usage(meter, month_days(2025, 10), 10.0)
    october = month_days(2026, 10)
    usage(meter, october[:-1], 9.0)  # the last day has not arrived yet
    campaign = campaign_create(period_start=date(2026, 10, 1), period_end=date(2026, 10, 31))
    summary = yoy_awards_compute(campaign=campaign, today=TODAY)
    assert summary["waiting"] == 1 and PointsEntry.objects.count() == 0

    usage(meter, october[-1:], 9.0)  # the late day arrives
    yoy_awards_compute(campaign=campaign, today=TODAY)
    yoy_awards_compute(campaign=campaign, today=TODAY)  # a retry or the next day's run
    assert list(PointsEntry.objects.values_list("kind", "points")) == [("award", 100)]


def test_a_correction_is_a_new_line_never_an_edit(customer):
    user, _premise, meter = customer
    usage(meter, month_days(2025, 9), 10.0)
    usage(meter, month_days(2026, 9), 9.0)
    campaign = campaign_create()
    yoy_awards_compute(campaign=campaign, today=TODAY)
    # Corrected readings: September was not below last year after all.
    DailyUsage.objects.filter(meter=meter, date__year=2026).update(total=10.5)
    yoy_awards_compute(campaign=campaign, today=TODAY)
    lines = list(PointsEntry.objects.order_by("pk").values_list("kind", "points"))
    assert lines == [("award", 100), ("correction", -100)]
    assert points_balance(user_id=user.pk) == 0


def test_a_month_not_over_yet_is_not_judged(customer):
    _user, _premise, meter = customer
    usage(meter, month_days(2025, 11), 10.0)
    usage(meter, month_days(2026, 11)[:19], 5.0)
    campaign = campaign_create(period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))
    assert yoy_awards_compute(campaign=campaign, today=TODAY)["months"] == 0


def test_a_draft_campaign_awards_nothing_and_eligibility_by_region(customer):
    _user, _premise, meter = customer
    usage(meter, month_days(2025, 9), 10.0)
    usage(meter, month_days(2026, 9), 9.0)
    assert yoy_awards_compute(campaign=campaign_create(status="draft"), today=TODAY)["months"] == 0
    elsewhere = campaign_create()
    elsewhere.regions.add(factories.RegionFactory(name="Hakodate"))
    assert yoy_awards_compute(campaign=elsewhere, today=TODAY)["participants"] == 0


def test_the_ledger_appends_only_the_difference(customer):
    user, premise, _meter = customer
    key = "event:1:x"
    for points in (30, 30, 45, 0):
        points_award(user_id=user.pk, premise_id=premise.pk, award_key=key, points=points, basis={})
    assert list(PointsEntry.objects.order_by("pk").values_list("kind", "points")) == [
        ("award", 30),
        ("correction", 15),
        ("correction", -45),
    ]
    assert points_held(award_key=key) == 0


def test_the_data_team_exports_the_ledger_and_customers_cannot(customer):
    user, premise, _meter = customer
    for n in range(3):
        points_award(
            user_id=user.pk,
            premise_id=premise.pk,
            award_key=f"k{n}",
            points=10 * (n + 1),
            basis={"rule": "test"},
        )
    api = APIClient()
    api.force_authenticate(factories.UserFactory(groups=[DATA_TEAM]))
    first = api.get("/api/v1/points/?page_size=2").json()
    assert [line["points"] for line in first["results"]] == [10, 20]
    assert first["results"][0]["customer"].startswith("c_")  # pseudonymous, not the user id
    rest = api.get(first["next"]).json()
    assert [line["points"] for line in rest["results"]] == [30] and rest["next"] is None
    assert api.get("/api/v1/points/?page_size=abc").status_code == 400
    api.force_authenticate(user)
    assert api.get("/api/v1/points/").status_code == 403


def test_the_portal_shows_progress_and_the_balance(client, customer):
    user, premise, meter = customer
    today = timezone.localdate()
    so_far = [d for d in month_days(today.year, today.month) if d < today]
    usage(meter, so_far, 9.0)
    usage(meter, [d.replace(year=d.year - 1) for d in so_far], 10.0)
    campaign_create(period_start=today.replace(day=1), period_end=today + timedelta(days=60))
    points_award(user_id=user.pk, premise_id=premise.pk, award_key="k", points=120, basis={})
    client.force_login(user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("dashboards:campaigns"))
    body = page.content.decode()
    assert 'id="points-balance">120 points' in body
    assert "Save 3 % on last year" in body
    [progress] = page.context["data"].current
    if so_far:  # on the first of the month there is nothing to compare yet
        assert progress.saving_percent == pytest.approx(10.0)
        assert progress.on_track


@pytest.mark.parametrize(
    ("this_year_kwh", "language", "expected"),
    [
        # 8 against 7 kWh a day: 14.3 % more (the customer's 122.5 against 107.1 kWh).
        (8.0, "ja", "今月これまで（19日間）：前年の同じ日より14.3%多く使っています。"),
        (8.0, "en", "This month so far (19 days): 14.3 % more than the same days last year."),
        (6.0, "ja", "今月これまで（19日間）：前年の同じ日より14.3%少なく使っています。"),
        (6.0, "en", "This month so far (19 days): 14.3 % less than the same days last year."),
        (7.0, "ja", "今月これまで（19日間）：前年の同じ日とほぼ同じだけ使っています。"),
        (7.0, "en", "This month so far (19 days): about as much as the same days last year."),
    ],
)
def test_the_points_page_says_more_less_or_the_same_never_a_negative_less(
    client, customer, monkeypatch, this_year_kwh, language, expected
):
    from energy.usage import selectors

    user, _premise, meter = customer
    monkeypatch.setattr(selectors, "local_today", lambda *, premise=None: TODAY)
    so_far = month_days(2026, 11)[:19]  # November 1 to 19; TODAY is the 20th
    usage(meter, so_far, this_year_kwh)
    usage(meter, [d.replace(year=2025) for d in so_far], 7.0)
    campaign_create()
    client.force_login(user)
    client.cookies["django_language"] = language
    body = client.get(reverse("dashboards:campaigns")).content.decode()
    assert f'<p class="progress">{expected}' in body
    assert "-14.3" not in body
    # The rule's own percentage as the campaign was set (3), not as stored (3.0).
    assert ("Use at least 3 % less" if language == "en" else "前年同月より3%以上少なく") in body


def test_the_points_page_after_one_day_says_one_day(client, customer, monkeypatch):
    from energy.usage import selectors

    user, _premise, meter = customer
    monkeypatch.setattr(selectors, "local_today", lambda *, premise=None: date(2026, 11, 2))
    usage(meter, [date(2026, 11, 1)], 8.0)
    usage(meter, [date(2025, 11, 1)], 7.0)
    campaign_create()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("dashboards:campaigns")).content.decode()
    assert "This month so far (1 day): 14.3 % more than the same day last year." in body


def test_weather_normalised_compares_with_last_years_behaviour_in_this_years_weather(customer):
    """Use = 4 + 0.8 kWh per degree below 15 °C. A warmer October would use less anyway: only
    the 5 % saved beyond the weather counts."""
    from energy.models import WeatherObservation

    _user, premise, meter = customer
    rng = np.random.default_rng(5)
    october = month_days(2026, 10)
    days = [october[0] - timedelta(days=365 - i) for i in range(365)] + october
    temps = {
        d: 9.0
        - 11.0 * np.cos(2 * np.pi * (d.timetuple().tm_yday - 20) / 365.25)
        + rng.normal(0, 2.5)
        for d in days
    }
    for d in october:
        temps[d] += 3.0  # a mild October
    WeatherObservation.objects.bulk_create(
        WeatherObservation(region=premise.region, date=d, temperature_mean_c=float(t))
        for d, t in temps.items()
    )

    def model(t: float) -> float:
        return 4.0 + 0.8 * max(15.0 - t, 0.0)

    for d in days:
        factor = 0.95 if d in october else 1.0
        usage(meter, [d], model(temps[d]) * factor)
    expected = sum(model(temps[d]) for d in october)
    campaign = campaign_create(
        period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), weather_normalised=True
    )

    yoy_awards_compute(campaign=campaign, today=TODAY)

    [line] = PointsEntry.objects.all()
    assert line.points == 100
    assert line.basis["reference_use"] == pytest.approx(expected, rel=0.01)
    assert line.basis["saving_percent"] == pytest.approx(5.0, abs=0.5)


def test_a_home_that_changes_hands_is_not_paid_twice(customer):
    user, premise, meter = customer
    usage(meter, month_days(2025, 9), 10.0)
    usage(meter, month_days(2026, 9), 9.0)
    campaign = campaign_create()
    yoy_awards_compute(campaign=campaign, today=TODAY)
    premise.owner = factories.UserFactory(username="new-owner")
    premise.save()
    yoy_awards_compute(campaign=campaign, today=TODAY)
    assert PointsEntry.objects.count() == 1
    assert points_balance(user_id=user.pk) == 100


def test_a_campaign_not_started_is_not_current_and_a_past_event_with_points_stays(client, customer):
    from energy.campaigns.models import DemandResponseEvent

    user, premise, _meter = customer
    today = timezone.localdate()
    campaign_create(period_start=today + timedelta(days=40), period_end=today + timedelta(days=120))
    event = DemandResponseEvent.objects.create(
        title_ja="t",
        title_en="t",
        status="finished",
        event_date=today - timedelta(days=3),
        start_hour=17,
        end_hour=20,
        points_per_kwh=100,
    )
    event.groups.add(Group.objects.create(name="pilots"))  # the customer is not a member
    points_award(
        user_id=user.pk,
        premise_id=premise.pk,
        award_key=f"event:{event.pk}:{premise.pk}",
        points=26,
        basis={"saving": 0.26},
        event_id=event.pk,
    )
    client.force_login(user)
    data = client.get(reverse("dashboards:campaigns")).context["data"]
    assert data.current == []
    assert [past.event for past in data.past] == [event] and data.balance == 26


def test_the_export_refuses_a_zero_page_size(customer):
    api = APIClient()
    api.force_authenticate(factories.UserFactory(groups=[DATA_TEAM]))
    assert api.get("/api/v1/points/?page_size=0").status_code == 400


def test_staff_change_status_only_through_the_actions(client, customer):
    from energy.access import BUSINESS_STAFF

    campaign = campaign_create(status="announced")
    staff = factories.UserFactory(username="kaori", is_staff=True, groups=[BUSINESS_STAFF])
    client.force_login(staff)
    page = client.get(reverse("admin:campaigns_yearonyearcampaign_change", args=[campaign.pk]))
    form = page.context["adminform"].form
    assert "status" not in form.fields and "min_saving_percent" not in form.fields
    assert "title_en" in form.fields  # the wording can still be corrected


def test_the_daily_task_recomputes_campaigns_until_60_days_after_their_final_month(customer):
    from energy.tasks import yoy_awards_compute_all

    today = timezone.localdate()
    settling = campaign_create(period_end=today - timedelta(days=SETTLED_AFTER_DAYS))
    finished = campaign_create(status="finished", period_end=today)
    campaign_create(period_end=today - timedelta(days=SETTLED_AFTER_DAYS + 1))  # settled
    campaign_create(status="draft", period_end=today)
    campaign_create(status="cancelled", period_end=today)
    summaries = yoy_awards_compute_all.apply().get()
    assert set(summaries) == {settling.pk, finished.pk}
    assert summaries[settling.pk]["participants"] == 1
    assert set(yoy_awards_recompute(today=today)) == {settling.pk, finished.pk}
