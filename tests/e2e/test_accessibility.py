"""Accessibility: axe-core (WCAG 2.1 A and AA) on every portal page and the main admin pages, in
Japanese and English, on a desktop and a phone: no serious or critical violation."""

import pytest
from django.utils import timezone

from dashboards.overview import overview_compute
from tests import factories
from tests.dashboards.test_overview import overview_data_set_create
from tests.e2e.conftest import PASSWORD, language_cookie_set
from tests.e2e.test_portal import phone_paths
from tests.flags.test_experiments import experiment_create


def language_set(page, language: str) -> None:
    if page.locator("html").get_attribute("lang") != language:
        page.select_option("#language-select", language)
        page.locator("#language-submit").click()
        page.wait_for_selector(f"html[lang={language}]")


def violations_by_page(page, axe, paths) -> dict[str, list[str]]:
    """axe's serious and critical violations of each page that has any, by path."""
    found = {}
    for path in paths:
        page.goto(path)
        charts_drawn(page)
        if violations := axe(page):
            found[path] = violations
    return found


def charts_drawn(page) -> None:
    """Scroll every chart into view (they are drawn as they come near) and wait for it."""
    for chart in page.locator(".plotly-chart").all():
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for()


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_portal_page_has_no_serious_accessibility_violation(
    page,
    phone_page,
    login,
    axe,
    town,
    language,
    size,
):
    browser_page = page if size == "desktop" else phone_page
    login(browser_page, username="hanako", password=PASSWORD, path="/accounts/login/")
    language_set(browser_page, language)
    found = violations_by_page(browser_page, axe, phone_paths(town["hanako"]).values())
    assert found == {}, "\n".join(f"{path}: {v}" for path, vs in found.items() for v in vs)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_main_admin_pages_have_no_serious_accessibility_violation(
    page, login, axe, live_server, language
):
    overview_data_set_create(now=timezone.now())
    overview_compute()
    experiment = experiment_create()
    flag = factories.FlagFactory(name="axe_flag", percent=10)
    flag.percent = 20
    flag.save()
    factories.UserFactory(username="axe-admin", is_staff=True, is_superuser=True)
    login(page, username="axe-admin", password=PASSWORD)
    language_cookie_set(page, language)
    paths = (
        "/admin/",
        "/admin/flags/flag/",
        "/admin/flags/experiment/",
        f"/admin/flags/experiment/{experiment.pk}/change/",
        f"/admin/flags/experiment/{experiment.pk}/results/",
        "/admin/energy/ingestbatch/",
        "/admin/campaigns/demandresponseevent/",
        "/admin/campaigns/demandresponseevent/add/",
        f"/admin/flags/flag/{flag.pk}/history/",
        f"/admin/flags/flag/{flag.pk}/history/{flag.history.earliest().history_id}/restore/",
        "/staff/overview/",
    )
    found = violations_by_page(page, axe, paths)
    assert found == {}, "\n".join(f"{path}: {v}" for path, vs in found.items() for v in vs)
