"""Staff changes are recorded with who, when, before and after, and can be restored in one click."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from waffle.models import Switch

from energy.tariffs.models import ElectricityTariffVersion, TimeOfUseBand
from flags.models import Flag
from tests import factories
from tests.flags.conftest import admin_form_data

pytestmark = pytest.mark.django_db


def _change_flag(client, flag, **changes):
    url = reverse("admin:flags_flag_change", args=[flag.pk])
    response = client.post(url, admin_form_data(client.get(url), **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def _history_page(client, obj) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _restore_url(obj, record) -> str:
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_history_restore",
        args=[obj.pk, record.history_id],
    )


def _restore(client, obj, record, reason="back to how it was"):
    return client.post(_restore_url(obj, record), {"history_reason": reason}, follow=True)


def test_a_flag_change_in_the_admin_is_one_entry_with_who_when_before_and_after(
    staff_client, staff_user
):
    testers = Group.objects.create(name="testers")
    flag = factories.FlagFactory(name="portal_winter_tips", percent=Decimal("10.0"))

    _change_flag(staff_client, flag, everyone="true", percent="25.0", groups=[testers.pk])

    entries = list(flag.history.all())
    assert len(entries) == 2  # created by the factory, then the one admin save
    latest, created = entries
    assert latest.history_type == "~"
    assert latest.history_user == staff_user
    assert latest.history_date > created.history_date
    assert (latest.everyone, latest.percent) == (True, Decimal("25.0"))
    assert (created.everyone, created.percent) == (None, Decimal("10.0"))
    assert [row.group for row in latest.groups.all()] == [testers]
    delta = latest.diff_against(created)
    assert set(delta.changed_fields) == {"everyone", "percent", "groups", "modified"}

    page = _history_page(staff_client, flag)
    assert "hanako" in page
    assert "Everyone:</strong> -&nbsp;&rarr;&nbsp;Yes" in page
    assert "Percent:</strong> 10.0&nbsp;&rarr;&nbsp;25.0" in page
    assert "Groups:</strong> -&nbsp;&rarr;&nbsp;testers" in page
    assert "Modified:" not in page  # every save changes it; not worth a line


def test_restoring_a_version_brings_back_its_values_and_groups_and_is_recorded(
    staff_client, staff_user
):
    testers = Group.objects.create(name="testers")
    flag = factories.FlagFactory(name="recommendations_energy_first", groups=["testers"])
    before = flag.history.latest()
    _change_flag(staff_client, flag, everyone="true", percent="50.0", groups=[])

    response = _restore(staff_client, flag, before)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("admin:flags_flag_history", args=[flag.pk])
    assert "was restored to its version of" in response.content.decode()
    flag.refresh_from_db()
    assert (flag.everyone, flag.percent) == (None, None)
    assert list(flag.groups.all()) == [testers]
    restore = flag.history.latest()
    assert restore.history_user == staff_user
    assert restore.history_change_reason.startswith("back to how it was (restored: ")
    assert flag.history.count() == 4  # created, changed, changed, restored: one entry each
    assert [row.group for row in restore.groups.all()] == [testers]


def test_the_history_page_offers_restore_on_every_version_but_the_current_one(staff_client):
    flag = factories.FlagFactory()
    _change_flag(staff_client, flag, percent="5.0")
    _change_flag(staff_client, flag, percent="6.0")

    page = _history_page(staff_client, flag)

    assert page.count('class="history-entry"') == 3
    assert page.count("/restore/") == 2


def test_a_user_who_may_only_view_flags_sees_the_history_but_cannot_restore(client):
    viewer = factories.UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="flags", codename="view_flag")
    )
    flag = factories.FlagFactory(percent=Decimal("1.0"))
    first = flag.history.latest()
    flag.percent = Decimal("2.0")
    flag.save()
    client.force_login(viewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = _history_page(client, flag)
    assert "/restore/" not in page
    assert _restore(client, flag, first).status_code == 403
    flag.refresh_from_db()
    assert flag.percent == Decimal("2.0")


def test_restore_first_shows_what_changes_and_who_gets_the_flag_then_needs_a_reason(
    staff_client,
):
    Group.objects.create(name="testers")
    flag = factories.FlagFactory(name="portal_winter_tips", groups=["testers"])
    first = flag.history.latest()
    _change_flag(staff_client, flag, everyone="true", groups=[])
    url = _restore_url(flag, first)

    page = staff_client.get(url)

    assert page.status_code == 200
    changes = {c["field"]: (c["old"], c["new"]) for c in page.context["changes"]}
    assert changes["Everyone"] == ("Yes", "-")
    assert page.context["consequences"] == [
        "Who gets the flag: everyone → groups: testers; superusers."  # waffle's default
    ]
    refused = staff_client.post(url, {"history_reason": "  "})
    assert refused.status_code == 200
    assert refused.context["form"].errors["history_reason"] == ["This field is required."]
    flag.refresh_from_db()
    assert flag.everyone is True  # nothing restored without a reason
    assert staff_client.put(url).status_code == 405
    version_url = reverse("admin:flags_flag_simple_history", args=[flag.pk, first.history_id])
    assert staff_client.get(version_url).status_code == 200
    # simple-history's editable "revert" form is replaced by the restore above.
    assert staff_client.post(version_url, {"name": "renamed"}).status_code == 405


def test_a_change_without_a_reason_is_refused_and_the_reason_is_in_the_history(staff_client):
    flag = factories.FlagFactory(percent=Decimal("10.0"))
    url = reverse("admin:flags_flag_change", args=[flag.pk])

    refused = staff_client.post(
        url, admin_form_data(staff_client.get(url), percent="90.0", history_reason=None)
    )

    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["history_reason"]
    flag.refresh_from_db()
    assert flag.percent == Decimal("10.0")
    _change_flag(staff_client, flag, percent="20.0", history_reason="pilot went well")
    assert flag.history.latest().history_change_reason == "pilot went well"
    assert "pilot went well" in _history_page(staff_client, flag)


def test_a_switch_change_is_recorded_and_can_be_restored(staff_client, staff_user):
    switch = Switch.objects.create(name="ingest_paused", active=False)
    url = reverse("admin:waffle_switch_change", args=[switch.pk])
    staff_client.post(url, admin_form_data(staff_client.get(url), active="on"))
    switch.refresh_from_db()
    assert switch.active is True
    assert switch.history.latest().history_user == staff_user
    assert switch.history.model._meta.db_table == "flags_historicalswitch"

    _restore(staff_client, switch, switch.history.earliest())

    switch.refresh_from_db()
    assert switch.active is False
    assert switch.history.count() == 3


def test_a_tariff_version_and_its_bands_are_recorded_and_restored(staff_client, staff_user):
    version = factories.ElectricityTariffVersionFactory(tier1_price_jpy_per_kwh=30)
    band = factories.TimeOfUseBandFactory(version=version, price_jpy_per_kwh=60)
    url = reverse("admin:tariffs_electricitytariffversion_change", args=[version.pk])
    data = admin_form_data(
        staff_client.get(url), tier1_price_jpy_per_kwh="31.50", **{"bands-0-price_jpy_per_kwh": 65}
    )
    assert staff_client.post(url, data).status_code == 302

    version_entry = ElectricityTariffVersion.history.filter(id=version.pk).latest()
    band_entry = TimeOfUseBand.history.filter(id=band.pk).latest()
    assert version_entry.history_user == staff_user
    assert band_entry.history_user == staff_user  # inline rows are recorded too
    assert band_entry.price_jpy_per_kwh == 65
    assert "30.00&nbsp;&rarr;&nbsp;31.50" in _history_page(staff_client, version)
    assert "60.00&nbsp;&rarr;&nbsp;65.00" in _history_page(staff_client, band)

    _restore(staff_client, version, version.history.earliest())
    _restore(staff_client, band, band.history.earliest())

    version.refresh_from_db()
    band.refresh_from_db()
    assert version.tier1_price_jpy_per_kwh == 30
    assert band.price_jpy_per_kwh == 60


def test_a_restore_that_would_break_a_rule_is_refused_with_the_reason(staff_client):
    tariff = factories.ElectricityTariffFactory()
    old = factories.ElectricityTariffVersionFactory(tariff=tariff, valid_until=None)
    first = old.history.latest()
    old.valid_until = old.valid_from.replace(year=2023, month=12, day=31)
    old.save()
    factories.ElectricityTariffVersionFactory(
        tariff=tariff, valid_from=old.valid_until.replace(year=2024, month=1, day=1)
    )

    response = _restore(staff_client, old, first)

    assert "cannot be restored" in response.content.decode()
    assert "overlap" in response.content.decode()
    old.refresh_from_db()
    assert old.valid_until is not None
    assert old.history.count() == 2


def test_flags_changed_outside_the_admin_are_recorded_too():
    flag = factories.FlagFactory()
    flag.groups.add(Group.objects.create(name="beta"))
    flag.everyone = False
    flag.save()

    assert [entry.history_type for entry in flag.history.all()] == ["~", "~", "+"]
    assert Flag.history.filter(id=flag.pk, everyone=False).exists()


def test_the_history_and_flag_pages_are_japanese_by_default(client, staff_user):
    client.force_login(staff_user)
    flag = factories.FlagFactory()
    flag.percent = Decimal("5.0")
    flag.save()

    history = _history_page(client, flag)
    change = client.get(reverse("admin:flags_flag_change", args=[flag.pk])).content.decode()

    assert "変更履歴" in history
    assert "この版に戻す" in history
    assert "変更内容(変更前 → 変更後)" in history
    assert "割合:</strong> -&nbsp;&rarr;&nbsp;5.0" in history
    assert "他のすべての設定より優先して" in change  # waffle's help text, in Japanese
    assert "Restore this version" not in history


def test_recent_changes_lists_what_the_user_may_see_across_models(staff_client, staff_user):
    flag = factories.FlagFactory(name="portal_winter_tips")
    _change_flag(staff_client, flag, percent="15.0")
    factories.EmissionFactorFactory(source="MOE 2024")
    factories.PremiseFactory(name="Not tracked")

    page = staff_client.get(reverse("admin_recent_changes"))

    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="history-entry"') == 3  # flag created and changed, factor created
    assert reverse("admin:flags_flag_history", args=[flag.pk]) in body
    assert "Percent:</strong> -&nbsp;&rarr;&nbsp;15.0" in body
    assert "hanako" in body


def test_recent_changes_hides_models_the_user_may_not_view(client):
    viewer = factories.UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="flags", codename="view_flag")
    )
    factories.FlagFactory(name="visible_flag")
    factories.EmissionFactorFactory()
    client.force_login(viewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    body = client.get(reverse("admin_recent_changes")).content.decode()

    assert "visible_flag" in body
    assert "Emission factor" not in body
    client.logout()
    assert client.get(reverse("admin_recent_changes")).status_code == 302  # to the admin login


def test_restoring_a_flag_leaves_out_a_group_deleted_since(staff_client):
    factories.FlagFactory(name="beta_banner", groups=["beta", "pilot"])
    flag = Flag.objects.get(name="beta_banner")
    with_both = flag.history.latest()
    _change_flag(staff_client, flag, groups=[])
    Group.objects.filter(name="pilot").delete()

    _restore(staff_client, flag, with_both)

    assert list(flag.groups.values_list("name", flat=True)) == ["beta"]


def test_a_band_page_is_read_only_but_has_its_history(staff_client):
    band = factories.TimeOfUseBandFactory()
    page = staff_client.get(reverse("admin:tariffs_timeofuseband_change", args=[band.pk]))
    body = page.content.decode()
    assert 'name="_save"' not in body
    assert reverse("admin:tariffs_timeofuseband_history", args=[band.pk]) in body


@pytest.mark.parametrize(("language", "shown"), [("ja", "2026年12月3日17:23"), ("en", "5:23 p.m.")])
def test_times_in_a_change_are_shown_in_local_time_not_as_stored_utc(language, shown):
    from types import SimpleNamespace

    from django.utils import translation

    from core.history_admin import StaffHistoryContextHelper
    from flags.models import Experiment

    helper = StaffHistoryContextHelper(Experiment, None)
    stored = datetime(2026, 12, 3, 8, 23, 8, 667063, tzinfo=UTC)  # 17:23 in Tokyo

    with translation.override(language):
        text = helper.prepare_delta_change_value(SimpleNamespace(field="ends_at"), stored)

    assert shown in text
    assert "+00:00" not in text and "08:23" not in text
