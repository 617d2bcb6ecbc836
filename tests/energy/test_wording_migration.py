"""The plausible-figures wording reaches a database that has the old one, field by field, and
similar-homes rows lose their yen (a comparison is not a saving)."""

import importlib

import pytest
from django.utils import timezone

from tests.migrations import migrate, migrate_to_latest

wording = importlib.import_module("energy.migrations.0013_plausible_recommendation_wording")

BEFORE = [("energy", "0012_premise_heating_fuel_demo_truth"), ("apikeys", None)]


@pytest.mark.django_db(transaction=True)
def test_default_fields_get_the_new_wording_and_staff_edits_stay():
    old = migrate(BEFORE)
    Template = old.get_model("energy", "RecommendationTemplate")
    for kind, texts in wording.PREVIOUS_DEFAULTS.items():
        Template.objects.filter(kind=kind).update(**texts)
    Template.objects.filter(kind="similar_homes").update(title_en="Our own title")
    premise = old.get_model("energy", "Premise").objects.first()
    if premise is None:
        region = old.get_model("energy", "Region").objects.create(name="Sapporo")
        owner = old.get_model("auth", "User").objects.create(username="owner")
        premise = old.get_model("energy", "Premise").objects.create(
            owner_id=owner.pk, region=region, dwelling_type="detached", floor_area_m2=90
        )
    old.get_model("energy", "Recommendation").objects.create(
        premise=premise,
        kind="similar_homes",
        unit="kWh",
        saving_per_year=1953.0,
        saving_jpy=270_618.0,
        saving_co2_kg=1074.0,
        confidence="medium",
        computed_at=timezone.now(),
    )

    new = migrate_to_latest()

    similar = new.get_model("savings", "RecommendationTemplate").objects.get(kind="similar_homes")
    assert similar.title_en == "Our own title"  # edited by staff: left alone
    assert similar.body_en == wording.NEW_DEFAULTS["similar_homes"]["body_en"]
    assert "{saving_yen}" not in similar.body_ja
    heating = new.get_model("savings", "RecommendationTemplate").objects.get(kind="heating")
    assert heating.body_ja == wording.NEW_DEFAULTS["heating"]["body_ja"]
    row = new.get_model("savings", "Recommendation").objects.get(kind="similar_homes")
    assert (row.saving_per_year, row.saving_jpy, row.saving_co2_kg) == (None, None, None)
