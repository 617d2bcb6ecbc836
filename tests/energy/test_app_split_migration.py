"""The domains of ``energy`` moved into apps of their own (tariffs, savings, campaigns,
interop). A database built before the move keeps every row, every change in the admin's history,
and every permission granted to a group on the moved models."""

from datetime import date

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from tests.migrations import migrate, migrate_to_latest

BEFORE = [
    ("energy", "0014_apikey_to_its_own_app"),
    ("admin", "0003_logentry_add_action_flag_choices"),
    ("tariffs", None),
    ("savings", None),
    ("campaigns", None),
    ("interop", None),
]


def _grant(old, group, model: str, codename: str):
    OldContentType = old.get_model("contenttypes", "ContentType")
    content_type, _ = OldContentType.objects.get_or_create(app_label="energy", model=model)
    permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename}
    )
    group.permissions.add(permission)
    return content_type


@pytest.mark.django_db(transaction=True)
def test_a_database_built_before_the_split_keeps_its_rows_history_and_permissions():
    old = migrate(BEFORE)
    # Content types exist in a real database from the day the models did: as they were then.
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldContentType.objects.exclude(app_label__in=["auth", "contenttypes"]).delete()
    staff_group = old.get_model("auth", "Group").objects.create(name="tariff keepers")
    editor = old.get_model("auth", "User").objects.create(username="editor", is_staff=True)

    tariff_type = _grant(old, staff_group, "electricitytariff", "change_electricitytariff")
    _grant(old, staff_group, "emissionfactor", "change_emissionfactor")
    tariff = old.get_model("energy", "ElectricityTariff").objects.create(name="従量電灯B")
    old.get_model("energy", "ElectricityTariffVersion").objects.create(
        tariff=tariff,
        valid_from=date(2026, 4, 1),
        basic_charge_jpy=1000,
        tier1_limit_kwh=120,
        tier2_limit_kwh=280,
        tier1_price_jpy_per_kwh=35,
        tier2_price_jpy_per_kwh=41,
        tier3_price_jpy_per_kwh=45,
        renewable_levy_jpy_per_kwh="3.98",
    )
    old.get_model("energy", "HistoricalElectricityTariff").objects.create(
        id=tariff.pk,
        name="従量電灯B",
        utility="",
        description="",
        history_date="2026-04-01T00:00:00Z",
        history_type="+",
        history_user_id=editor.pk,
    )
    old.get_model("admin", "LogEntry").objects.create(
        user_id=editor.pk,
        content_type_id=tariff_type.pk,
        object_id=str(tariff.pk),
        object_repr="従量電灯B",
        action_flag=1,
    )
    template_type = _grant(
        old, staff_group, "recommendationtemplate", "change_recommendationtemplate"
    )
    old.get_model("energy", "RecommendationTemplate").objects.filter(kind="standby").update(
        title_en="Our own title"
    )
    region = old.get_model("energy", "Region").objects.create(name="Asahikawa")
    premise = old.get_model("energy", "Premise").objects.create(
        owner_id=editor.pk, region=region, name="North house", floor_area_m2=90, household_size=3
    )
    old.get_model("energy", "Recommendation").objects.create(
        premise=premise,
        kind="standby",
        unit="kWh",
        saving_per_year=120.0,
        saving_jpy=3_720.0,
        saving_co2_kg=60.0,
        confidence="medium",
        computed_at="2026-11-01T00:00:00Z",
        status="will_do",
    )
    old.get_model("admin", "LogEntry").objects.create(
        user_id=editor.pk,
        content_type_id=template_type.pk,
        object_id=str(
            old.get_model("energy", "RecommendationTemplate").objects.get(kind="standby").pk
        ),
        object_repr="standby",
        action_flag=2,
    )
    campaign_type = _grant(old, staff_group, "yearonyearcampaign", "change_yearonyearcampaign")
    campaign = old.get_model("energy", "YearOnYearCampaign").objects.create(
        title_ja="冬の節電",
        title_en="Winter saving",
        status="active",
        period_start="2026-12-01",
        period_end="2027-02-28",
        min_saving_percent=5,
        points_per_month=100,
        cap_points=300,
    )
    campaign.regions.add(region)
    old.get_model("energy", "PointsEntry").objects.create(
        user_id=editor.pk,
        premise=premise,
        yoy_campaign=campaign,
        award_key="yoy:1:2026-12",
        kind="award",
        points=100,
    )
    old.get_model("admin", "LogEntry").objects.create(
        user_id=editor.pk,
        content_type_id=campaign_type.pk,
        object_id=str(campaign.pk),
        object_repr="冬の節電",
        action_flag=2,
    )
    _grant(old, staff_group, "greenbuttonusagepoint", "change_greenbuttonusagepoint")
    held_file = old.get_model("energy", "IngestBatch").objects.create(
        client_id=editor.pk,
        source="file",
        format="greenbutton",
        payload="<feed/>",
        payload_sha256="0" * 64,
        status="done",
    )
    usage_point = old.get_model("energy", "GreenButtonUsagePoint").objects.create(
        identifier="https://example.com/espi/UsagePoint/7", commodity="gas"
    )
    usage_point.batches.add(held_file)

    migrate_to_latest()
    ContentType.objects.clear_cache()

    from energy.tariffs.models import ElectricityTariff

    moved = ElectricityTariff.objects.get(name="従量電灯B")
    assert moved.versions.get().tier2_price_jpy_per_kwh == 41
    assert moved.history.get().history_user.username == "editor"
    assert LogEntry.objects.get(object_repr="従量電灯B").get_edited_object() == moved
    assert not ContentType.objects.filter(app_label="energy", model="electricitytariff").exists()

    from energy.savings.models import Recommendation, RecommendationTemplate

    template = RecommendationTemplate.objects.get(kind="standby")
    assert template.title_en == "Our own title"
    assert LogEntry.objects.get(object_repr="standby").get_edited_object() == template
    kept = Recommendation.objects.get(premise__name="North house")
    assert (kept.status, kept.saving_jpy) == ("will_do", 3_720.0)

    from energy.campaigns.models import PointsEntry, YearOnYearCampaign

    winter = YearOnYearCampaign.objects.get(title_en="Winter saving")
    assert [r.name for r in winter.regions.all()] == ["Asahikawa"]
    assert LogEntry.objects.get(object_repr="冬の節電").get_edited_object() == winter
    assert list(PointsEntry.objects.values_list("yoy_campaign", "points")) == [(winter.pk, 100)]

    from energy.interop.models import GreenButtonUsagePoint

    point = GreenButtonUsagePoint.objects.get(identifier="https://example.com/espi/UsagePoint/7")
    assert [batch.pk for batch in point.batches.all()] == [held_file.pk]

    staff = get_user_model().objects.get(username="editor")
    staff.groups.add(Group.objects.get(name="tariff keepers"))
    assert staff.has_perm("tariffs.change_electricitytariff")
    assert staff.has_perm("tariffs.change_emissionfactor")
    assert staff.has_perm("savings.change_recommendationtemplate")
    assert staff.has_perm("campaigns.change_yearonyearcampaign")
    assert staff.has_perm("interop.change_greenbuttonusagepoint")
