"""The staff console in a real browser, in Japanese and English: its home leads with today's
work, its main pages fit a 1280 px screen, and a change asks what it will do and why."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboards.overview import overview_compute
from energy.campaigns.models import DemandResponseEvent
from flags.models import Flag
from tests import factories
from tests.dashboards.test_overview import overview_data_set_create
from tests.e2e.conftest import DESKTOP, PASSWORD, language_cookie_set
from tests.flags.test_experiments import experiment_create

REASON = {"ja": "変更の理由", "en": "Reason for this change"}


@pytest.fixture
def console(live_server):
    """A superuser, a running experiment, a flag, a draft event, the overview computed."""
    overview_data_set_create(now=timezone.now())
    overview_compute()
    factories.UserFactory(username="console", is_staff=True, is_superuser=True)
    event = DemandResponseEvent.objects.create(
        title_ja="節電のお願い",
        title_en="Please save power",
        event_date=timezone.localdate() + timedelta(days=3),
        start_hour=17,
        end_hour=20,
        points_per_kwh=Decimal("10.0"),
    )
    return {
        "experiment": experiment_create(),
        "flag": factories.FlagFactory(name="staff_console_pilot", percent=Decimal("10.0")),
        "event": event,
    }


def admin_login(page, login, language: str) -> None:
    login(page, username="console", password=PASSWORD)
    language_cookie_set(page, language)


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_main_staff_pages_fit_a_1280_px_screen(page, login, console, screenshot, language):
    admin_login(page, login, language)
    experiment, flag, event = console["experiment"], console["flag"], console["event"]
    paths = {
        "home": "/admin/",
        "flags": "/admin/flags/flag/",
        "flag": f"/admin/flags/flag/{flag.pk}/change/",
        "experiments": "/admin/flags/experiment/",
        "experiment": f"/admin/flags/experiment/{experiment.pk}/change/",
        "experiment-results": f"/admin/flags/experiment/{experiment.pk}/results/",
        "events": "/admin/campaigns/demandresponseevent/",
        "event": f"/admin/campaigns/demandresponseevent/{event.pk}/change/",
        "flag-history": f"/admin/flags/flag/{flag.pk}/history/",
        "overview": "/staff/overview/",
    }
    too_wide = {}
    for name, path in paths.items():
        page.goto(path)
        assert page.viewport_size["width"] == DESKTOP["width"]
        if excess := overflow(page):
            too_wide[name] = excess
        screenshot(page, f"{name}-{language}")
    assert too_wide == {}, f"pixels wider than the screen: {too_wide}"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_home_leads_with_the_overview_running_experiments_and_expiring_flags(
    page, login, console, screenshot, language
):
    admin_login(page, login, language)
    page.goto("/admin/")
    home = page.locator("#staff-home")
    # Before the list of sections, on the first screen.
    assert home.bounding_box()["y"] < page.locator(".app-flags").bounding_box()["y"]
    assert home.bounding_box()["y"] < DESKTOP["height"]
    results = f"/admin/flags/experiment/{console['experiment'].pk}/results/"
    assert home.locator(f'a[href="{results}"]').is_visible()
    with page.expect_navigation():
        home.locator('a[href="/staff/overview/"]').click()
    assert page.url.endswith("/staff/overview/")
    screenshot(page, f"overview-from-home-{language}")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_action_asks_what_it_will_do_and_why_then_records_the_reason(
    page, login, console, axe, screenshot, language
):
    admin_login(page, login, language)
    flag = console["flag"]
    page.goto("/admin/flags/flag/")
    page.locator(f'input[name="_selected_action"][value="{flag.pk}"]').check()
    page.locator('select[name="action"]').select_option("enable_for_all")
    with page.expect_navigation():
        page.locator('button[name="index"]').click()

    consequence = page.locator(".action-consequences").inner_text()
    assert "staff_console_pilot" in consequence
    assert re.search(r"10 ?%.*→", consequence), consequence  # who gets it now, and after
    assert axe(page) == []
    assert overflow(page) == 0
    screenshot(page, f"flag-action-confirmation-{language}")
    flag.refresh_from_db()
    assert flag.everyone is None  # nothing yet

    reason = page.get_by_label(REASON[language])
    assert reason.get_attribute("required") is not None  # the browser asks for it too
    page.get_by_label(REASON[language]).fill("winter tips for everyone")
    with page.expect_navigation():
        page.locator('input[type="submit"]').click()

    flag.refresh_from_db()
    assert flag.everyone is True
    page.goto(f"/admin/flags/flag/{flag.pk}/history/")
    assert "winter tips for everyone" in page.locator("tr.history-entry").first.inner_text()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_staff_change_needs_a_reason_on_a_phone_too(
    phone_page, login, console, axe, screenshot, language
):
    admin_login(phone_page, login, language)
    flag = console["flag"]
    phone_page.goto(f"/admin/flags/flag/{flag.pk}/change/")
    phone_page.locator('input[name="percent"]').fill("20")
    reason = phone_page.get_by_label(REASON[language])
    reason.fill("pilot widened")
    assert reason.bounding_box()["x"] + reason.bounding_box()["width"] <= 375
    screenshot(phone_page, f"flag-change-phone-{language}")
    with phone_page.expect_navigation():
        phone_page.locator('input[name="_save"]').click()
    assert Flag.objects.get(pk=flag.pk).percent == Decimal("20.0")
    assert Flag.history.filter(id=flag.pk).latest().history_change_reason == "pilot widened"
