"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Every test under ``tests/e2e/`` is marked ``e2e`` (``-m "not e2e"`` leaves them out) and runs on
a transactional database (``live_server`` asks for one), so data made in the test is visible to
the server thread; it is flushed after each test. ``make test`` installs Chromium when missing
(``make browser``); without ``/usr/bin/chromium`` these tests skip, and fail under CI.

Fixtures, for tests written against them:

* ``page``: a desktop page (1280x800, Japanese locale, Tokyo time) in a context of its own, whose
  relative URLs go to the live server: ``page.goto("/admin/")``.
* ``phone_page``: the same at a phone's 375x812, with touch and the page's meta viewport honoured.
* ``page_for``: ``page_for(width=..., height=..., mobile=True)`` for any other size or device.
* ``login``: ``login(page, username=..., password=...)`` signs in through a login form.
* ``screenshot``: ``screenshot(page, "name")`` saves a PNG under ``artifacts/screenshots/``.

Every page is guarded: a request to any host but the live server (a CDN script, a web font, an
analytics beacon) is blocked and fails the test that made it, listing the URLs. The portal must
work with nothing outside the site. Chromium also resolves no host name but ``localhost``, so
not even a preconnect hint leaves the machine.
"""

import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, sync_playwright

from energy.bills.parse import PeriodRow
from energy.bills.services import billing_periods_import
from tests import factories
from tests.dashboards.conftest import (
    home_create,
    recommendations_create,
    weather_and_factors_create,
)
from tests.required import needed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # No host name resolves but localhost (the live server), so nothing can leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]
SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# Playwright's 30 s default makes a missing element slow to report; local pages answer at once.
TIMEOUT_MS = 10_000

# A web socket to the live server has the origin of its http(s) pages.
_HTTP_SCHEME = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
offsite_guards = pytest.StashKey[list["OffsiteRequests"]]()
_call_report = pytest.StashKey[pytest.TestReport]()


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that passed but made an off-site request fails, naming the URLs."""
    result = yield
    for guard in item.stash.get(offsite_guards, []):
        guard.check()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_call_report] = report
    return report


class OffsiteRequests:
    """The URLs a browser context asked for outside the live server; each was blocked."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.urls: list[str] = []

    def is_offsite(self, url: str) -> bool:
        parts = urlsplit(url)
        # data:, blob: and about: URLs never reach the network.
        if parts.scheme not in _HTTP_SCHEME:
            return False
        return f"{_HTTP_SCHEME[parts.scheme]}://{parts.netloc}" != self.origin

    def block(self, route) -> None:
        self.urls.append(route.request.url)
        route.abort("blockedbyclient")

    def block_websocket(self, websocket_route) -> None:
        self.urls.append(websocket_route.url)
        websocket_route.close()

    def check(self) -> None:
        if self.urls:
            listed = "\n  ".join(dict.fromkeys(self.urls))
            self.urls.clear()
            pytest.fail(
                f"the page made requests outside the site ({self.origin}):\n  {listed}",
                pytrace=False,
            )


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the e2e tests (``/usr/bin/chromium``, Debian's package).

    Package-scoped on purpose: Playwright's sync API keeps an asyncio loop running in this thread
    while it is started, and Django then refuses ORM calls here (SynchronousOnlyOperation). The
    check is switched off (DJANGO_ALLOW_ASYNC_UNSAFE, the documented way for this combination)
    only while the browser lives, so tests outside ``tests/e2e`` keep it.
    """
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required under CI (make browser installs it)")
        pytest.skip(f"needs {CHROMIUM}: run make browser (make test does); under CI this fails")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def page_for(browser, live_server, request) -> Iterator[Callable[..., Page]]:
    """``page_for(width=1280, height=800, mobile=False, locale="ja-JP")``: a guarded new page.

    Each call opens a browser context of its own (no cookies shared) with ``base_url`` set to the
    live server, blocks and records off-site requests, and is closed after the test, with a
    screenshot ``<test>--failed.png`` of each page when the test failed.
    """
    contexts = []
    guards = request.node.stash.setdefault(offsite_guards, [])

    def open_page(
        *,
        width: int = DESKTOP["width"],
        height: int = DESKTOP["height"],
        mobile: bool = False,
        locale: str = "ja-JP",
    ) -> Page:
        guard = OffsiteRequests(live_server.url)
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            is_mobile=mobile,
            has_touch=mobile,
            locale=locale,
            timezone_id="Asia/Tokyo",
            service_workers="block",  # so that every request passes the route below
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route(guard.is_offsite, guard.block)
        context.route_web_socket(guard.is_offsite, guard.block_websocket)
        contexts.append(context)
        guards.append(guard)
        return context.new_page()

    yield open_page

    report = request.node.stash.get(_call_report, None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed:
            for page in context.pages:
                _save_screenshot(page, request.node.name, f"failed-{number}")
        context.close()
    # Requests after the test body ended (late scripts, beacons on unload) still count.
    for guard in guards:
        guard.check()


@pytest.fixture
def page(page_for) -> Page:
    """A desktop page (1280x800) on the live server: ``page.goto("/admin/")``."""
    return page_for()


@pytest.fixture
def phone_page(page_for) -> Page:
    """A phone page (375x812, touch, meta viewport honoured) on the live server."""
    return page_for(width=PHONE["width"], height=PHONE["height"], mobile=True)


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, username=..., password=..., path="/admin/login/")``: sign in through a form.

    Opens ``path``, fills the ``username`` and ``password`` inputs (other names with
    ``username_field=`` / ``password_field=``), submits and waits for the next page. Raises
    AssertionError with the form's error message when the form comes back instead.
    """

    def sign_in(
        page: Page,
        *,
        username: str,
        password: str,
        path: str = "/admin/login/",
        username_field: str = "username",
        password_field: str = "password",
    ) -> None:
        page.goto(path)
        form = page.locator("form", has=page.locator(f'input[name="{password_field}"]'))
        form.locator(f'input[name="{username_field}"]').fill(username)
        form.locator(f'input[name="{password_field}"]').fill(password)
        with page.expect_navigation():
            form.locator('[type="submit"]').click()
        if page.locator(f'input[name="{password_field}"]').count():
            errors = page.locator(".errornote, .errorlist").all_inner_texts()
            raise AssertionError(f"login as {username!r} failed at {page.url}: {errors}")

    return sign_in


@pytest.fixture
def screenshot(request) -> Callable[[Page, str], Path]:
    """``screenshot(page, "admin-index")``: the whole page as a PNG; returns its path.

    Saved as ``artifacts/screenshots/<test name>--<name>.png`` in the project folder (kept out of
    git), overwriting the previous run's.
    """

    def save(page: Page, name: str) -> Path:
        return _save_screenshot(page, request.node.name, name)

    return save


def _save_screenshot(page: Page, test_name: str, name: str) -> Path:
    path = SCREENSHOTS_DIR / re.sub(r"[^\w.-]+", "-", f"{test_name}--{name}.png").strip("-")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path


AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
# WCAG 2.1 A and AA, the rules a public service is held to.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def axe() -> Callable[[Page], list[str]]:
    """``axe(page)``: the page's serious and critical accessibility violations (axe-core, WCAG
    2.1 A and AA), one line each with the rule, its help and the first elements at fault; an
    empty list when there are none. ``make browser`` fetches axe-core."""
    if not AXE_JS.exists():
        needed("tests/e2e/vendor/axe.min.js", how="`make browser` fetches axe-core with npm")
    source = AXE_JS.read_text()

    def check(page: Page) -> list[str]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        return [
            f"{v['impact']}: {v['id']} ({v['help']}) at "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    return check


# The factories' password for every user (tests/factories.py).
PASSWORD = "correct-horse-battery"


@pytest.fixture
def town(live_server):
    """Hanako's home with a year of data and recommendations, and her neighbour Taro's."""
    today = timezone.localdate()
    region = factories.RegionFactory(name="Sapporo", time_zone="Asia/Tokyo")
    hanako = home_create(
        region=region,
        owner=factories.UserFactory(username="hanako"),
        today=today,
        serial_prefix="HANAKO",
    )
    taro = home_create(
        region=region,
        owner=factories.UserFactory(username="taro"),
        today=today,
        serial_prefix="TARO",
        with_readings=False,
    )
    weather_and_factors_create(region=region, days=hanako.days, today=today)
    # A year of gas bills from before her smart meter, one of them estimated.
    first = hanako.days[0] - timedelta(days=365)
    bills = [
        PeriodRow(
            line=n + 1,
            start=first + timedelta(days=30 * n),
            end=first + timedelta(days=30 * n + 29),
            usage=60.0 + 10 * abs(6 - n),
            cost_jpy=9000.0 + 1500 * abs(6 - n),
            estimated=n == 3,
        )
        for n in range(12)
    ]
    billing_periods_import(meter=hanako.gas, periods=bills)
    return {"hanako": hanako, "taro": taro, "recommendations": recommendations_create(hanako)}


def language_cookie_set(page: Page, language: str) -> None:
    """Pages are Japanese unless the language cookie says otherwise (not Accept-Language)."""
    origin = page.evaluate("location.origin") if page.url.startswith("http") else None
    assert origin, "open a page of the live server first"
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": origin}]
    )
