"""The customer portal in a real browser: a customer's whole visit, on a desktop and a phone."""

import csv
import io
from datetime import timedelta

import pytest

from energy.usage.selectors import period_of
from tests.e2e.conftest import PASSWORD


def chart_traces(page, div_id: str) -> int:
    """How many data traces plotly drew in the chart's div, once scrolled to (charts are drawn
    as they come near the screen)."""
    page.locator(f"#{div_id}").scroll_into_view_if_needed()
    page.wait_for_selector(f"#{div_id} .main-svg")
    return page.evaluate(f"document.getElementById('{div_id}').data.length")


def test_a_customers_visit(page, login, screenshot, town):
    hanako = town["hanako"]
    login(page, username="hanako", password=PASSWORD, path="/accounts/login/")
    # Home: this month so far with a rendered chart, in Japanese by default.
    assert page.url.endswith(f"/premises/{hanako.premise.pk}/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", name="電気：今月これまで").is_visible()
    if (hanako.today - hanako.today.replace(day=1)).days:
        assert chart_traces(page, "chart-month-so-far-0") >= 1
    screenshot(page, "home")

    # Usage: the month view (daily bars and the temperature line), then day and year.
    page.get_by_role("navigation").get_by_role("link", name="電気").click()
    page.wait_for_url("**/month/**")
    assert chart_traces(page, "usage-chart") == 2
    screenshot(page, "month")
    page.locator('a[data-period="day"]').click()
    page.wait_for_url("**/day/**")
    assert chart_traces(page, "usage-chart") == 1
    page.locator("#previous-link").click()
    two_days_ago = hanako.today - timedelta(days=2)
    page.wait_for_url(f"**/day/{two_days_ago.isoformat()}/**")
    page.locator('a[data-period="year"]').click()
    page.wait_for_url("**/year/**")
    assert chart_traces(page, "usage-chart") == 2  # this year and the year before
    page.locator('a[data-measure="yen"]').click()
    page.wait_for_url("**/year/**measure=yen")
    chart_traces(page, "usage-chart")
    # Yen ticks as money: "4,000", never "4k".
    ticks = page.eval_on_selector_all(
        "#usage-chart .yaxislayer-above .ytick text", "texts => texts.map(t => t.textContent)"
    )
    assert ticks and not any(t.endswith("k") for t in ticks), ticks
    assert any("," in t for t in ticks), ticks
    screenshot(page, "year-yen")

    # The CSV holds exactly what the chart shows: this month's days, in yen (still chosen).
    page.locator('a[data-period="month"]').click()
    page.wait_for_url("**/month/**measure=yen")
    chart_traces(page, "usage-chart")
    chart_yen = page.evaluate("document.getElementById('usage-chart').data[0].y")
    with page.expect_download() as download:
        page.locator("#csv-link").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    month = period_of("month", hanako.today - timedelta(days=1))
    assert rows[0] == ["日付", "円", "平均気温（℃）"]  # the page's language
    rows = rows[1:]
    assert len(rows) == (month.end - month.start).days + 1
    assert rows[0][0] == month.start.isoformat()
    # Whole yen: each day as the chart draws it, rounded.
    assert [int(r[1]) if r[1] else None for r in rows] == [
        None if y is None else round(y) for y in chart_yen
    ]

    # English and back: the choice sticks across pages.
    page.select_option("#language-select", "en")
    page.locator("#language-submit").click()
    page.wait_for_selector("html[lang=en]")
    page.get_by_role("link", name="Recommendations").click()
    page.wait_for_url("**/recommendations/")
    assert page.get_by_role("heading", name="Recommendations", exact=True).is_visible()
    screenshot(page, "recommendations-en")

    # "Will do" on the heating recommendation.
    heating = town["recommendations"]["heating"]
    card = page.locator(f"#recommendation-{heating.pk}")
    card.locator('button[data-status="will_do"]').click()
    page.wait_for_selector(
        f"#recommendation-{heating.pk} button[data-status=will_do][aria-pressed=true]"
    )
    card = page.locator(f"#recommendation-{heating.pk}")
    assert card.locator('button[data-status="will_do"]').get_attribute("aria-pressed") == "true"
    assert card.locator(".status").inner_text() == "Will do"
    heating.refresh_from_db()
    assert heating.status == "will_do"

    page.select_option("#language-select", "ja")
    page.locator("#language-submit").click()
    page.wait_for_selector("html[lang=ja]")

    # Taro's meter is not Hanako's business.
    response = page.goto(f"/meters/{town['taro'].electricity.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="ページが見つかりません").is_visible()


def test_the_bill_history_from_the_gas_year_before_the_smart_meter(page, login, screenshot, town):
    hanako = town["hanako"]
    login(page, username="hanako", password=PASSWORD, path="/accounts/login/")
    year = hanako.days[0].year - 1
    page.goto(f"/meters/{hanako.gas.pk}/year/{year}/")
    assert page.get_by_text("この期間のスマートメーターの計測値はありません。").is_visible()

    page.get_by_role("link", name="ご請求の履歴を見る").click()

    assert page.get_by_role("heading", name="ご請求の履歴").is_visible()
    assert chart_traces(page, "bills-chart") == 1
    rows = page.locator("#bills-table tbody tr")
    assert rows.count() == 12
    # Newest first; the estimated bill says so; 60 m³ over 30 days is 2 m³ a day.
    assert "（推定）" in rows.nth(8).inner_text()
    assert "2.00 m³" in rows.nth(5).inner_text()
    screenshot(page, "bill-history")


PHONE_WIDTH = 375


def phone_paths(hanako) -> dict[str, str]:
    """Every portal page a customer reaches, by name."""
    yesterday = hanako.today - timedelta(days=1)
    meter = hanako.electricity.pk
    return {
        "home": f"/premises/{hanako.premise.pk}/",
        "day": f"/meters/{meter}/day/{period_of('day', yesterday).key}/",
        "month": f"/meters/{meter}/month/{period_of('month', yesterday).key}/",
        "year": f"/meters/{meter}/year/{period_of('year', yesterday).key}/",
        "gas": f"/meters/{hanako.gas.pk}/",
        "bills": f"/meters/{hanako.gas.pk}/bills/",
        "recommendations": f"/premises/{hanako.premise.pk}/recommendations/",
        "points": "/campaigns/",
        "email-settings": "/notifications/",
        "password": "/accounts/password_change/",
    }


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_portal_page_fits_a_phone(phone_page, login, screenshot, town, language):
    hanako = town["hanako"]
    login(phone_page, username="hanako", password=PASSWORD, path="/accounts/login/")
    if language == "en":
        phone_page.select_option("#language-select", "en")
        phone_page.locator("#language-submit").click()
        phone_page.wait_for_selector("html[lang=en]")
    for name, path in phone_paths(hanako).items():
        phone_page.goto(path)
        assert phone_page.locator("html").get_attribute("lang") == language
        # Nothing wider than the screen: the page never scrolls sideways.
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, (name, language, width)
        # The header stays at most two rows: the account links are one menu.
        header = phone_page.locator("header.site").bounding_box()
        assert header["height"] <= 100, (name, language, header)
        tabs = phone_page.locator("nav.portal a")
        if tabs.count():
            # Every section is reachable: each tab scrolls into the screen.
            for index in range(tabs.count()):
                tab = tabs.nth(index)
                tab.scroll_into_view_if_needed()
                box = tab.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH + 1, (
                    name,
                    tab.inner_text(),
                    box,
                )
            phone_page.goto(path)  # as loaded: the page's own tab is in view
            current = phone_page.locator("nav.portal a[aria-current=page]")
            if current.count():
                box = current.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH + 1, (name, box)
        screenshot(phone_page, f"phone-{language}-{name}")

    # The month-so-far comparison reflows into cards: no value broken over two lines.
    phone_page.goto(phone_paths(hanako)["home"])
    broken = phone_page.evaluate(
        """() => [...document.querySelectorAll('table.reflow td')].filter(td => {
             const line = parseFloat(getComputedStyle(td).lineHeight) || 20;
             return td.getBoundingClientRect().height > 1.6 * line;
           }).map(td => td.innerText)"""
    )
    assert broken == [], broken
    # The chart fits the screen.
    phone_page.goto(phone_paths(hanako)["month"])
    phone_page.locator("#usage-chart").scroll_into_view_if_needed()
    phone_page.wait_for_selector("#usage-chart .main-svg")
    assert phone_page.locator("#usage-chart").bounding_box()["width"] <= PHONE_WIDTH

    # Each email setting's checkbox sits just before its label, on the label's first line.
    phone_page.goto(phone_paths(hanako)["email-settings"])
    checkbox_rows = phone_page.locator(".form-row.checkbox-row")
    assert checkbox_rows.count() == 3
    for index in range(checkbox_rows.count()):
        row = checkbox_rows.nth(index)
        box = row.locator("input[type=checkbox]").bounding_box()
        label = row.locator("label").bounding_box()
        assert 0 <= label["x"] - (box["x"] + box["width"]) <= 16, (index, box, label)
        assert abs(box["y"] - label["y"]) <= 8, (index, box, label)
        row.locator("label").click()  # the label toggles its own box
    assert phone_page.locator(".checkbox-row input:checked").count() == 1  # 2 on, 1 off before
