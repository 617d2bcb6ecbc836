"""Business staff edit flags, switches, scheduled changes, tariffs, emission factors and
recommendation wording in the admin, and nothing about users, readings or deliveries."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from waffle.models import Switch

from energy.access import BUSINESS_STAFF, STAFF_EDITS, STAFF_READS
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_group_holds_exactly_the_listed_permissions():
    granted = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.filter(
            group__name=BUSINESS_STAFF
        ).values_list("content_type__app_label", "codename")
    }
    expected = {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label in STAFF_EDITS
        for action in ("view", "add", "change", "delete")
    } | {f"{label.split('.')[0]}.view_{label.split('.')[1]}" for label in STAFF_READS}
    assert granted == expected
    forbidden_apps = {"auth", "authtoken", "admin", "sessions", "contenttypes"}
    assert not {perm for perm in granted if perm.split(".")[0] in forbidden_apps}
    for model in ("reading", "readingrevision", "ingestbatch", "intervention"):
        assert not {perm for perm in granted if perm.endswith(f"_{model}")}, model


def test_business_staff_open_and_change_what_they_own(staff_client):
    flag = factories.FlagFactory()
    switch = Switch.objects.create(name="maintenance_banner")
    version = factories.ElectricityTariffVersionFactory()
    for url in (
        reverse("admin:flags_flag_add"),
        reverse("admin:flags_flag_change", args=[flag.pk]),
        reverse("admin:flags_flag_history", args=[flag.pk]),
        reverse("admin:waffle_switch_change", args=[switch.pk]),
        reverse("admin:waffle_switch_history", args=[switch.pk]),
        reverse("admin:flags_scheduledflagchange_add"),
        reverse("admin:tariffs_electricitytariffversion_change", args=[version.pk]),
        reverse("admin:tariffs_electricitytariffversion_history", args=[version.pk]),
        reverse("admin:tariffs_timeofuseband_changelist"),
        reverse("admin:tariffs_gasusageband_changelist"),
        reverse("admin:savings_recommendationtemplate_changelist"),
    ):
        assert staff_client.get(url).status_code == 200, url


def test_business_staff_cannot_open_users_groups_api_keys_or_deliveries(staff_client):
    for url in (
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:apikeys_apikey_changelist"),
        reverse("admin:energy_ingestbatch_changelist"),
        reverse("admin:savings_intervention_changelist"),
    ):
        assert staff_client.get(url).status_code == 403, url
