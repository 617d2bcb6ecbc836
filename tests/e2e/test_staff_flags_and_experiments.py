"""Business staff run the product from the admin in a real browser: a 50 % rollout that each
customer keeps across sessions, an experiment from creation to its results chart, a scheduled
change applied, and a change reverted from the history."""

import random
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from energy.access import BUSINESS_STAFF
from flags.models import Experiment, Exposure, Flag, PortalVisit, ScheduledFlagChange
from tests import factories

PASSWORD = "correct-horse-battery"
CUSTOMERS = 200


def sees_tips(customer) -> bool:
    """Whether the customer's home page carries the flagged card (server-rendered)."""
    client = Client()
    client.force_login(customer)
    premise = customer.premises.first()
    body = client.get(reverse("dashboards:premise_home", args=[premise.pk])).content.decode()
    return 'id="winter-tips"' in body


def test_staff_roll_out_experiment_schedule_and_revert(page, page_for, login, screenshot):
    region = factories.RegionFactory(name="Sapporo")
    customers = []
    for number in range(CUSTOMERS):
        customer = factories.UserFactory(username=f"customer{number:03d}")
        factories.PremiseFactory(owner=customer, region=region, name=f"Home {number}")
        customers.append(customer)
    factories.UserFactory(username="hanako", is_staff=True, groups=[BUSINESS_STAFF])
    flag = Flag.objects.create(name="portal_winter_tips", superusers=False)

    # 1. Staff turn the winter tips on for 50 % of customers.
    login(page, username="hanako", password=PASSWORD)
    page.goto(f"/admin/flags/flag/{flag.pk}/change/")
    page.locator('input[name="percent"]').fill("50")
    page.locator('input[name="history_reason"]').fill("half of customers for the winter")
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    assert page.locator(".messagelist .success").is_visible()
    screenshot(page, "flag-50-percent")

    seeing = {c.pk for c in customers if sees_tips(c)}
    assert 0.40 * CUSTOMERS <= len(seeing) <= 0.60 * CUSTOMERS, len(seeing)

    # Each keeps it across sessions: two fresh browser sessions each, as on two devices.
    for customer in customers[:3] + customers[-3:]:
        answers = []
        for _session in range(2):
            device = page_for(width=375, height=812, mobile=True)
            login(device, username=customer.username, password=PASSWORD, path="/accounts/login/")
            answers.append(device.locator("#winter-tips").count() == 1)
            device.context.close()
        assert answers == [customer.pk in seeing] * 2, customer.username

    # 2. An experiment: create it with two variants, start it, read its results and chart.
    page.goto("/admin/flags/experiment/add/")
    page.locator('input[name="key"]').fill("recommendation_framing")
    page.locator('input[name="name"]').fill("Framing: yen or kWh")
    page.locator('textarea[name="hypothesis"]').fill("kWh first brings customers back")
    page.locator('input[name="owner"]').fill("customer-experience")
    page.locator('select[name="primary_metric"]').select_option("portal_visits")
    for row, (key, weight) in enumerate((("yen", "0.5"), ("kwh", "0.5"))):
        page.locator(f'input[name="variants-{row}-position"]').fill(str(row))
        page.locator(f'input[name="variants-{row}-key"]').fill(key)
        page.locator(f'input[name="variants-{row}-name"]').fill(key)
        page.locator(f'input[name="variants-{row}-weight"]').fill(weight)
        page.locator(f'textarea[name="variants-{row}-value"]').fill(f'"{key}"')
    page.locator('input[name="history_reason"]').fill("framing test approved")
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    experiment = Experiment.objects.get(key="recommendation_framing")
    page.goto("/admin/flags/experiment/")
    page.locator(f'input[name="_selected_action"][value="{experiment.pk}"]').check()
    page.locator('select[name="action"]').select_option("start")
    with page.expect_navigation():
        page.locator('button[name="index"]').click()
    # Asked first: what starting it does, and why.
    assert "100 %" in page.locator(".action-consequences").inner_text()
    screenshot(page, "experiment-start-confirmation")
    page.locator('input[name="history_reason"]').fill("go")
    with page.expect_navigation():
        page.locator('input[type="submit"]').click()
    experiment.refresh_from_db()
    assert experiment.status == "running"

    for customer in customers:  # customers visit the portal and meet the experiment
        sees_tips(customer)
    assert Exposure.objects.filter(experiment=experiment).count() == CUSTOMERS
    # A week later: the customers' visits since, and in the four weeks before, for CUPED.
    Exposure.objects.update(exposed_at=timezone.now() - timedelta(days=7))
    rng = random.Random(8)
    today = timezone.localdate()
    PortalVisit.objects.bulk_create(
        [
            PortalVisit(user=customer, date=today - timedelta(days=back))
            for customer in customers
            for back in range(1, 36)
            if rng.random() < 0.3
        ],
        ignore_conflicts=True,
    )
    page.goto(f"/admin/flags/experiment/{experiment.pk}/results/")
    with page.expect_navigation():
        page.locator("#compute-results").click()
    page.locator("#lift-chart").scroll_into_view_if_needed()
    page.wait_for_selector("#lift-chart .main-svg")
    assert page.evaluate("document.getElementById('lift-chart').data.length") >= 1
    assert page.locator("#srm-banner").count() == 0
    screenshot(page, "experiment-results")

    # 3. A scheduled change: on for everyone, due now; the beat job's action makes it.
    page.goto("/admin/flags/scheduledflagchange/add/")
    page.locator('select[name="flag"]').select_option(str(flag.pk))
    now = timezone.localtime() - timedelta(seconds=5)
    page.locator('input[name="apply_at_0"]').fill(now.strftime("%Y-%m-%d"))
    page.locator('input[name="apply_at_1"]').fill(now.strftime("%H:%M:%S"))
    page.locator('select[name="everyone"]').select_option("on")
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    change = ScheduledFlagChange.objects.get()
    page.goto("/admin/flags/scheduledflagchange/")
    page.locator(f'input[name="_selected_action"][value="{change.pk}"]').check()
    page.locator('select[name="action"]').select_option("apply_due_now")
    with page.expect_navigation():
        page.locator('button[name="index"]').click()
    change.refresh_from_db()
    flag.refresh_from_db()
    assert change.status == "applied" and flag.everyone is True
    assert all(sees_tips(c) for c in customers[:20])
    screenshot(page, "scheduled-change-applied")

    # 4. Revert the scheduled change from the flag's history: back to 50 %.
    page.goto(f"/admin/flags/flag/{flag.pk}/history/")
    rows = page.locator("tr.history-entry")
    assert "scheduled change" in rows.first.inner_text()
    with page.expect_navigation():
        rows.nth(1).get_by_role("link", name="この版に戻す").click()
    page.locator('input[name="history_reason"]').fill("back to the 50 % rollout")
    with page.expect_navigation():
        page.get_by_role("button", name="この版に戻す").click()
    flag.refresh_from_db()
    assert flag.everyone is None and float(flag.percent) == 50.0
    assert {c.pk for c in customers if sees_tips(c)} == seeing
    screenshot(page, "flag-reverted")
