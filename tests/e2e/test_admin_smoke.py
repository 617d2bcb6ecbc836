"""The admin in a real browser: proves the e2e fixtures (tests/e2e/conftest.py) end to end."""

import pytest

from tests import factories
from tests.e2e.conftest import offsite_guards


def test_superuser_logs_in_and_sees_the_admin_index(page, login, screenshot, live_server):
    factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    static_responses = []
    page.on(
        "response",
        lambda response: "/static/" in response.url and static_responses.append(response),
    )

    login(page, username="root", password="correct-horse-battery")

    assert page.url == f"{live_server.url}/admin/"
    assert page.locator("#site-name").is_visible()
    # The index lists the apps a superuser may change, e.g. users under authentication.
    assert page.locator('a[href="/admin/auth/user/"]').first.is_visible()
    # The live server serves static files: the admin's stylesheet arrived and applies.
    assert static_responses, "the admin page loaded no static file"
    assert all(response.status == 200 for response in static_responses), [
        (response.url, response.status) for response in static_responses
    ]
    assert page.locator("#header").evaluate("e => getComputedStyle(e).display") == "flex"
    path = screenshot(page, "admin-index")
    assert path.stat().st_size > 0
    # Every admin page leads to the staff overview.
    page.locator("#staff-overview-link").click()
    page.wait_for_url("**/staff/overview/")
    assert page.locator("h1").inner_text() == "概要：ビジネスと運用"


def test_offsite_request_is_blocked_and_named(page, request):
    """The guard itself: a request to another host never leaves and would fail the test."""
    page.goto("/admin/login/")
    page.evaluate("fetch('https://cdn.example.com/chart.js').catch(() => null)")

    [guard] = request.node.stash[offsite_guards]
    assert guard.urls == ["https://cdn.example.com/chart.js"]
    with pytest.raises(pytest.fail.Exception, match=r"cdn\.example\.com/chart\.js"):
        guard.check()  # what runs after every e2e test; it also forgets the URLs, so this passes


def test_the_flags_list_fits_a_laptop_screen_with_owner_and_expiry(page, login, live_server):
    from flags.models import Flag
    from flags.registry import FLAGS

    factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    for spec in FLAGS:  # every flag in code, each with a long note
        Flag.objects.create(name=spec.name, percent=10, note=spec.description * 2)
    login(page, username="root", password="correct-horse-battery")

    page.goto("/admin/flags/flag/")

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width  # the page never scrolls sideways
    for column in ("owner", "expires", "state"):
        header = page.locator(f"#result_list th.column-{column}")
        box = header.bounding_box()
        assert box and box["x"] + box["width"] <= 1280, (column, box)
