"""Flag changes scheduled by staff are made once, on time, and recorded in the flag's history."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from flags import scheduling
from flags.models import Flag, ScheduledFlagChange
from flags.scheduling import scheduled_changes_apply
from flags.tasks import scheduled_flag_changes_apply
from tests import factories
from tests.flags.conftest import admin_form_data

PENDING = ScheduledFlagChange.Status.PENDING
APPLIED = ScheduledFlagChange.Status.APPLIED


def _schedule(client, flag, *, apply_at, **what) -> ScheduledFlagChange:
    """Schedule a change the way staff do: the admin's add form."""
    local = timezone.localtime(apply_at)
    data = {
        "flag": flag.pk,
        "apply_at_0": local.strftime("%Y-%m-%d"),
        "apply_at_1": local.strftime("%H:%M:%S"),
        "everyone": "keep",
        "note": "",
        **what,
    }
    response = client.post(reverse("admin:flags_scheduledflagchange_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return ScheduledFlagChange.objects.latest("pk")


@pytest.mark.django_db
def test_a_due_change_is_made_once_and_recorded_as_by_whoever_scheduled_it(
    staff_client, staff_user
):
    beta = Group.objects.create(name="beta")
    flag = factories.FlagFactory(name="portal_winter_tips", groups=["early"])
    change = _schedule(
        staff_client,
        flag,
        apply_at=timezone.now() - timedelta(minutes=1),
        everyone="unset",
        percent="30.0",
        groups=[beta.pk],
        replace_groups="on",
    )
    assert change.created_by == staff_user
    entries_before = flag.history.count()

    assert scheduled_changes_apply() == 1
    assert scheduled_changes_apply() == 0

    flag.refresh_from_db()
    assert (flag.everyone, flag.percent) == (None, Decimal("30.0"))
    assert list(flag.groups.all()) == [beta]
    change.refresh_from_db()
    assert change.status == APPLIED
    assert change.applied_at is not None
    entries = flag.history.filter(history_change_reason=f"scheduled change #{change.pk}")
    [entry] = entries
    assert entry.history_user == staff_user
    assert [row.group for row in entry.groups.all()] == [beta]
    assert flag.history.count() == entries_before + 1  # the change and its groups: one entry
    page = staff_client.get(reverse("admin:flags_flag_history", args=[flag.pk])).content
    assert f"scheduled change #{change.pk}" in page.decode()


@pytest.mark.django_db
def test_groups_are_added_unless_replace_is_ticked(staff_client):
    flag = factories.FlagFactory(groups=["early"])
    beta = Group.objects.create(name="beta")
    _schedule(staff_client, flag, apply_at=timezone.now(), groups=[beta.pk])

    scheduled_changes_apply()

    assert set(flag.groups.values_list("name", flat=True)) == {"early", "beta"}


@pytest.mark.django_db
def test_future_and_cancelled_changes_are_not_made(staff_client):
    flag = factories.FlagFactory()
    future = _schedule(
        staff_client, flag, apply_at=timezone.now() + timedelta(hours=1), everyone="on"
    )
    cancelled = _schedule(staff_client, flag, apply_at=timezone.now(), everyone="on")
    response = staff_client.post(
        reverse("admin:flags_scheduledflagchange_changelist"),
        {"action": "cancel_selected", "_selected_action": [cancelled.pk]},
    )
    assert response.status_code == 302

    assert scheduled_changes_apply() == 0

    flag.refresh_from_db()
    assert flag.everyone is None
    future.refresh_from_db()
    cancelled.refresh_from_db()
    assert (future.status, cancelled.status) == (PENDING, ScheduledFlagChange.Status.CANCELLED)
    # Its time comes: made then.
    assert scheduled_changes_apply(now=future.apply_at) == 1
    flag.refresh_from_db()
    assert flag.everyone is True


@pytest.mark.django_db
def test_due_changes_of_one_flag_are_made_in_order(staff_client):
    flag = factories.FlagFactory()
    now = timezone.now()
    _schedule(staff_client, flag, apply_at=now - timedelta(minutes=2), everyone="on")
    _schedule(staff_client, flag, apply_at=now - timedelta(minutes=1), everyone="off")

    assert scheduled_changes_apply() == 2

    flag.refresh_from_db()
    assert flag.everyone is False


@pytest.mark.django_db
def test_a_change_that_cannot_be_made_is_marked_failed_and_the_others_go_ahead(staff_client):
    broken = factories.FlagFactory(name="broken")
    Flag.objects.filter(pk=broken.pk).update(name="")  # no longer valid: full_clean refuses
    fine = factories.FlagFactory(name="fine")
    failing = _schedule(staff_client, broken, apply_at=timezone.now(), everyone="on")
    _schedule(staff_client, fine, apply_at=timezone.now(), everyone="on")

    assert scheduled_changes_apply() == 1

    failing.refresh_from_db()
    assert failing.status == ScheduledFlagChange.Status.FAILED
    assert "name" in failing.error
    fine.refresh_from_db()
    assert fine.everyone is True


@pytest.mark.django_db
def test_the_admin_refuses_to_edit_a_change_that_was_made(staff_client):
    flag = factories.FlagFactory()
    change = _schedule(staff_client, flag, apply_at=timezone.now(), everyone="on")
    url = reverse("admin:flags_scheduledflagchange_change", args=[change.pk])
    data = admin_form_data(staff_client.get(url), everyone="off")
    scheduled_changes_apply()

    page = staff_client.get(url)
    assert page.status_code == 200  # read-only now
    assert 'name="everyone"' not in page.content.decode()
    assert staff_client.post(url, data).status_code == 403
    change.refresh_from_db()
    assert (change.status, change.everyone) == (APPLIED, "on")
    delete = reverse("admin:flags_scheduledflagchange_delete", args=[change.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403


@pytest.mark.django_db
def test_the_admin_shows_the_flag_now_and_wants_something_to_change(staff_client):
    flag = factories.FlagFactory(percent=Decimal("12.5"), groups=["early"])
    response = staff_client.post(
        reverse("admin:flags_scheduledflagchange_add"),
        {"flag": flag.pk, "apply_at_0": "2030-01-01", "apply_at_1": "09:00:00", "everyone": "keep"},
    )
    assert response.status_code == 200
    assert "Choose at least one thing to change" in response.content.decode()

    change = _schedule(
        staff_client, flag, apply_at=timezone.now() + timedelta(days=1), percent="50"
    )
    page = staff_client.get(
        reverse("admin:flags_scheduledflagchange_change", args=[change.pk])
    ).content.decode()
    assert "not forced; percentage: 12.5 %; groups: early" in page
    listing = staff_client.get(
        reverse("admin:flags_scheduledflagchange_changelist"), {"status__exact": "pending"}
    ).content.decode()
    assert "percentage 50.0 %" in listing


@pytest.mark.django_db
def test_apply_due_changes_now_from_the_admin(staff_client):
    flag = factories.FlagFactory()
    change = _schedule(staff_client, flag, apply_at=timezone.now(), everyone="on")

    response = staff_client.post(
        reverse("admin:flags_scheduledflagchange_changelist"),
        {"action": "apply_due_now", "_selected_action": [change.pk]},
        follow=True,
    )

    assert "1 due change made." in response.content.decode()
    flag.refresh_from_db()
    assert flag.everyone is True


@pytest.mark.django_db
def test_the_command_and_the_beat_task_make_due_changes(staff_client, capsys):
    flag = factories.FlagFactory()
    _schedule(staff_client, flag, apply_at=timezone.now(), percent="10")
    _schedule(staff_client, flag, apply_at=timezone.now(), percent="20")

    call_command("apply_scheduled_flag_changes")
    assert "2 scheduled flag change(s) applied." in capsys.readouterr().out

    _schedule(staff_client, flag, apply_at=timezone.now(), percent="30")
    assert scheduled_flag_changes_apply.delay().get() == 1
    flag.refresh_from_db()
    assert flag.percent == Decimal("30.0")


def test_beat_runs_the_task_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["flags-apply-scheduled-changes"]
    assert entry == {"task": "flags.tasks.scheduled_flag_changes_apply", "schedule": 60.0}
    assert scheduled_flag_changes_apply.name == entry["task"]


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_make_a_change_once(postgresql, monkeypatch, staff_user):
    """While one run holds the due changes, a second run skips them instead of waiting."""
    flag = factories.FlagFactory()
    change = ScheduledFlagChange.objects.create(
        flag=flag, apply_at=timezone.now(), everyone="on", created_by=staff_user
    )
    first_holds_the_lock = threading.Event()
    second_finished = threading.Event()
    real_apply = scheduling.scheduled_change_apply

    def slow_apply(*, change):
        first_holds_the_lock.set()
        assert second_finished.wait(timeout=10)
        return real_apply(change=change)

    monkeypatch.setattr(scheduling, "scheduled_change_apply", slow_apply)
    results = {}

    def run(name: str) -> None:
        try:
            results[name] = scheduled_changes_apply()
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert first_holds_the_lock.wait(timeout=10)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join(timeout=10)
    assert not second.is_alive(), "the second run waited for the first one's lock"
    second_finished.set()
    first.join(timeout=10)

    assert results == {"first": 1, "second": 0}
    change.refresh_from_db()
    assert change.status == APPLIED
    assert flag.history.filter(history_change_reason=f"scheduled change #{change.pk}").count() == 1
