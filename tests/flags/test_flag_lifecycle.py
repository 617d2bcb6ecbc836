"""Flags do not rot: the admin shows which flags the code declares and which are stale."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from flags.lifecycle import flag_is_stale
from flags.models import Flag

pytestmark = pytest.mark.django_db


def aged(flag: Flag, days: int) -> Flag:
    Flag.objects.filter(pk=flag.pk).update(modified=timezone.now() - timedelta(days=days))
    flag.refresh_from_db()
    return flag


def test_fully_on_or_off_and_unchanged_for_30_days_is_stale():
    assert flag_is_stale(aged(Flag.objects.create(name="a", everyone=True), 31))
    assert flag_is_stale(aged(Flag.objects.create(name="b", everyone=False), 31))
    assert not flag_is_stale(aged(Flag.objects.create(name="c", everyone=True), 29))
    assert not flag_is_stale(aged(Flag.objects.create(name="d", percent=40), 90))
    # No percentage, no targeting: off for every customer, however long.
    assert flag_is_stale(aged(Flag.objects.create(name="e", superusers=True), 45))


def test_the_admin_lists_flags_not_in_code_and_deletes_only_those(staff_client):
    Flag.objects.create(name="portal_winter_tips")
    retired = Flag.objects.create(name="retired_banner")
    page = staff_client.get(reverse("admin:flags_flag_changelist"), {"in_code": "no"})
    assert [f.name for f in page.context["cl"].result_list] == ["retired_banner"]
    response = staff_client.post(
        reverse("admin:flags_flag_changelist"),
        {
            "action": "delete_not_in_code",
            "_selected_action": [f.pk for f in Flag.objects.all()],
            "confirm": "yes",
            "history_reason": "retired in release 12",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert list(Flag.objects.values_list("name", flat=True)) == ["portal_winter_tips"]
    assert not Flag.objects.filter(pk=retired.pk).exists()


def test_the_changelist_marks_stale_flags(staff_client):
    aged(Flag.objects.create(name="portal_winter_tips", everyone=True), 40)
    body = staff_client.get(reverse("admin:flags_flag_changelist")).content.decode()
    assert "stale: fully on or off and unchanged for 30 days" in body


def test_the_flags_list_says_who_gets_each_flag_in_one_column(staff_client):
    from django.contrib.auth.models import Group

    Flag.objects.create(name="on_for_all", everyone=True)
    Flag.objects.create(name="off_for_all", everyone=False)
    partial = Flag.objects.create(
        name="partial", percent=25, staff=True
    )  # superusers: waffle's default
    partial.groups.add(Group.objects.create(name="pilot"))
    Flag.objects.create(name="no_rule", superusers=False)

    page = staff_client.get(reverse("admin:flags_flag_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    rows = {
        name: row
        for row in page.content.decode().split("<tr")
        for name in ("on_for_all", "off_for_all", "partial", "no_rule")
        if f">{name}<" in row
    }

    assert "everyone" in rows["on_for_all"]
    assert "nobody (off for everyone)" in rows["off_for_all"]
    assert "25 % of customers; groups: pilot; superusers; staff" in rows["partial"]
    assert '<td class="field-state">nobody</td>' in rows["no_rule"]
