"""The staff overview in a real browser: its charts drawn, on a desktop and on a phone."""

from django.utils import timezone

from dashboards.overview import overview_compute
from tests.dashboards.test_overview import overview_data_set_create

PASSWORD = "correct-horse-battery"
CHARTS = (
    "overview-recommendations",
    "overview-savings-by-kind",
    "overview-readings-per-hour",
    "overview-batch-latency",
    "overview-ingest-lag",
    "overview-web-errors",
)


def drawn_traces(page, div_id: str) -> int:
    page.locator(f"#{div_id}").scroll_into_view_if_needed()  # drawn as it comes near the screen
    page.wait_for_selector(f"#{div_id} .main-svg")
    return page.evaluate(f"document.getElementById('{div_id}').data.length")


def test_staff_open_the_overview_with_its_charts(page, phone_page, login, screenshot, live_server):
    overview_data_set_create(now=timezone.now())
    overview_compute()

    login(page, username="ops", password=PASSWORD)
    page.goto("/staff/overview/")

    assert page.get_by_role("heading", name="概要：ビジネスと運用").is_visible()
    for div_id in CHARTS:
        assert drawn_traces(page, div_id) >= 1, div_id
    assert page.locator("#active-7d").inner_text() == "1"
    assert page.locator("#failed-batches a").count() == 1
    screenshot(page, "desktop")

    login(phone_page, username="ops", password=PASSWORD)
    phone_page.goto("/staff/overview/")
    assert drawn_traces(phone_page, "overview-readings-per-hour") == 2
    # Nothing wider than the phone's screen: the page does not scroll sideways.
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    screenshot(phone_page, "phone")
