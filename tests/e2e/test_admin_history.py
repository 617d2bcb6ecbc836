"""Business staff in a real browser: change a flag, read its history, restore it in one click."""

from decimal import Decimal

from energy.access import BUSINESS_STAFF
from flags.models import Flag
from tests import factories


def test_staff_change_a_flag_and_restore_it_from_its_history(page, login, screenshot):
    factories.UserFactory(username="hanako", is_staff=True, groups=[BUSINESS_STAFF])
    flag = factories.FlagFactory(name="portal_winter_tips", percent=Decimal("10.0"))
    login(page, username="hanako", password="correct-horse-battery")

    page.goto(f"/admin/flags/flag/{flag.pk}/change/")
    page.locator('input[name="percent"]').fill("40")
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    page.goto(f"/admin/flags/flag/{flag.pk}/history/")

    rows = page.locator("tr.history-entry")
    assert rows.count() == 2
    assert "hanako" in rows.first.inner_text()
    assert "10.0 → 40.0" in rows.first.inner_text().replace("\xa0", " ")
    screenshot(page, "flag-history")

    with page.expect_navigation():
        rows.nth(1).get_by_role("button", name="この版に戻す").click()

    assert page.locator(".messagelist .success").is_visible()
    assert page.locator("tr.history-entry").count() == 3
    flag.refresh_from_db()
    assert flag.percent == Decimal("10.0")
    assert Flag.history.filter(id=flag.pk).latest().history_user.username == "hanako"
    screenshot(page, "flag-restored")
