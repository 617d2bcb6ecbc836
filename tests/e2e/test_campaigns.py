"""Campaigns in a real browser: staff create, announce and settle a demand-response event in
the admin; the customer is told by email, saves in the hours, and sees the points in the
portal."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.utils import timezone

from energy.access import BUSINESS_STAFF
from energy.campaigns.models import DemandResponseEvent, PointsEntry
from energy.models import DailyUsage, Reading
from tests import factories

PASSWORD = "correct-horse-battery"
TOKYO = ZoneInfo("Asia/Tokyo")


def half_hours(meter, day, kwh_at) -> None:
    start = datetime.combine(day, time(), tzinfo=TOKYO)
    Reading.objects.bulk_create(
        Reading(
            meter=meter,
            ts=(start + timedelta(minutes=30 * i)).astimezone(UTC),
            value=kwh_at((start + timedelta(minutes=30 * i)).hour),
        )
        for i in range(48)
    )
    DailyUsage.objects.create(
        meter=meter,
        date=day,
        total=sum(kwh_at(h) for h in range(24)) * 2,
        baseload=0.1,
        peak=1.0,
        peak_at=start,
        night_total=1.0,
        intervals=48,
    )


def test_staff_run_an_event_and_the_customer_sees_the_points(page, page_for, login, screenshot):
    region = factories.RegionFactory(name="Sapporo")
    customer = factories.UserFactory(username="aiko", email="aiko@example.com")
    premise = factories.PremiseFactory(owner=customer, region=region, name="Aiko's home")
    meter = factories.MeterFactory(
        premise=premise, serial="E-AIKO", commodity="electricity", unit="kWh"
    )
    factories.UserFactory(username="hanako", is_staff=True, groups=[BUSINESS_STAFF])
    event_day = timezone.localdate() - timedelta(days=1)
    # Two weeks of ordinary days: 1 kWh per half-hour 17:00-20:00, 0.2 otherwise.
    for back in range(2, 16):
        half_hours(
            meter, event_day - timedelta(days=back - 1), lambda h: 1.0 if 17 <= h < 20 else 0.2
        )

    # Yesterday's event was announced earlier; today staff create and announce tomorrow's.
    past_event = DemandResponseEvent.objects.create(
        title_ja="節電のお願い（昨日）",
        title_en="Please save power (yesterday)",
        status="announced",
        announced_at=timezone.now() - timedelta(days=3),
        event_date=event_day,
        start_hour=17,
        end_hour=20,
        points_per_kwh=100,
        baseline_method="average_5",
    )
    login(page, username="hanako", password=PASSWORD)
    page.goto("/admin/campaigns/demandresponseevent/add/")
    page.locator('input[name="title_ja"]').fill("節電のお願い")
    page.locator('input[name="title_en"]').fill("Please save power tomorrow")
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.locator('input[name="event_date"]').fill(tomorrow.isoformat())
    page.locator('input[name="start_hour"]').fill("17")
    page.locator('input[name="end_hour"]').fill("20")
    page.locator('input[name="points_per_kwh"]').fill("100")
    page.locator('select[name="baseline_method"]').select_option("high_4_of_5")
    page.locator('input[name="history_reason"]').fill("supply warning for tomorrow")
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    upcoming = DemandResponseEvent.objects.get(event_date=tomorrow)
    page.goto("/admin/campaigns/demandresponseevent/")
    page.locator(f'input[name="_selected_action"][value="{upcoming.pk}"]').check()
    page.locator('select[name="action"]').select_option("announce")
    with page.expect_navigation():
        page.locator('button[name="index"]').click()
    # Asked first, with who gets an email; nothing is sent until staff confirm.
    assert "1 人にメールが届きます" in page.locator(".action-consequences").inner_text()
    assert not mail.outbox
    screenshot(page, "event-announce-confirmation")
    page.locator('input[name="history_reason"]').fill("需給ひっ迫の予報")
    with page.expect_navigation():
        page.locator('input[type="submit"]').click()
    upcoming.refresh_from_db()
    assert upcoming.announced_at is not None and upcoming.status == "announced"
    announcements = [m for m in mail.outbox if "aiko@example.com" in m.to]
    assert len(announcements) == 1  # once, however often the task runs
    event = past_event

    # The event day: the customer halves the window's use (6 kWh usually → 3 kWh).
    half_hours(meter, event_day, lambda h: 0.5 if 17 <= h < 20 else 0.2)
    page.goto("/admin/campaigns/demandresponseevent/")
    page.locator(f'input[name="_selected_action"][value="{event.pk}"]').check()
    page.locator('select[name="action"]').select_option("compute_awards")
    with page.expect_navigation():
        page.locator('button[name="index"]').click()
    [line] = PointsEntry.objects.filter(event=event)
    assert line.points == 300  # (6 − 3) kWh saved × 100 points
    page.goto(f"/admin/campaigns/demandresponseevent/{event.pk}/results/")
    assert page.locator("#points-awarded").inner_text() == "300"
    screenshot(page, "event-results")

    # The customer sees the event and the points in the portal, on a phone.
    phone = page_for(width=375, height=812, mobile=True)
    login(phone, username="aiko", password=PASSWORD, path="/accounts/login/")
    phone.goto("/campaigns/")
    assert phone.locator("#points-balance").inner_text().startswith("300")
    assert phone.locator(f"#event-{upcoming.pk}").is_visible()
    past = phone.locator("#past-events").inner_text()
    assert "6.00" in past and "3.00" in past  # usual use, your use / saved
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "portal-points")
