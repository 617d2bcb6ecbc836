"""Business staff in a real browser: change a flag with a reason, read its history, and restore
an earlier version after reading what the restore changes."""

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
    page.get_by_label("変更の理由").fill("パイロット好評のため拡大")
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    page.goto(f"/admin/flags/flag/{flag.pk}/history/")

    rows = page.locator("tr.history-entry")
    assert rows.count() == 2
    assert "hanako" in rows.first.inner_text()
    assert "10.0 → 40.0" in rows.first.inner_text().replace("\xa0", " ")
    assert "パイロット好評のため拡大" in rows.first.inner_text()
    screenshot(page, "flag-history")

    with page.expect_navigation():
        rows.nth(1).get_by_role("link", name="この版に戻す").click()
    # First what the restore changes and who then gets the flag; nothing changed yet.
    assert "40.0 → 10.0" in page.locator(".restore-changes").inner_text().replace("\xa0", " ")
    assert "顧客の10%" in page.locator(".restore-consequences").inner_text()
    flag.refresh_from_db()
    assert flag.percent == Decimal("40.0")
    screenshot(page, "flag-restore-confirmation")
    page.get_by_label("変更の理由").fill("苦情が増えたため戻す")
    with page.expect_navigation():
        page.get_by_role("button", name="この版に戻す").click()

    assert page.locator(".messagelist .success").is_visible()
    assert page.locator("tr.history-entry").count() == 3
    flag.refresh_from_db()
    assert flag.percent == Decimal("10.0")
    restored = Flag.history.filter(id=flag.pk).latest()
    assert restored.history_user.username == "hanako"
    assert restored.history_change_reason.startswith("苦情が増えたため戻す (restored: ")
    screenshot(page, "flag-restored")
