"""Existing regions and time-of-use bands get names in both languages when the columns arrive:
the demo's in Japanese and English, any other its identifier in both until staff name it."""

from datetime import date

import pytest

from energy.models import Region
from energy.tariffs.models import TimeOfUseBand
from tests.migrations import migrate, migrate_to_latest


@pytest.mark.django_db(transaction=True)
def test_the_migrations_name_the_demos_regions_and_bands_and_copy_the_others():
    old = migrate([("energy", "0020_dailyusage_estimated_intervals"), ("tariffs", "0001_initial")])
    OldRegion = old.get_model("energy", "Region")
    for name in ("Sapporo", "Hakodate", "Kushiro"):
        OldRegion.objects.create(name=name, time_zone="Asia/Tokyo")
    tariff = old.get_model("tariffs", "ElectricityTariff").objects.create(name="TOU")
    version = old.get_model("tariffs", "ElectricityTariffVersion").objects.create(
        tariff=tariff,
        valid_from=date(2026, 1, 1),
        basic_charge_jpy=1000,
        tier1_price_jpy_per_kwh=30,
        tier2_price_jpy_per_kwh=40,
        tier3_price_jpy_per_kwh=50,
        renewable_levy_jpy_per_kwh=3,
    )
    OldBand = old.get_model("tariffs", "TimeOfUseBand")
    # As seed_demo wrote them (both languages in the name), a plain one, and one of staff's.
    for name, start, end in (("ピーク peak", 17, 22), ("night", 22, 8), ("朝 morning", 6, 9)):
        OldBand.objects.create(
            version=version, name=name, start_hour=start, end_hour=end, price_jpy_per_kwh=40
        )
    old.get_model("tariffs", "HistoricalTimeOfUseBand").objects.create(
        id=1,
        version_id=version.pk,
        name="ピーク peak",
        start_hour=17,
        end_hour=22,
        price_jpy_per_kwh=40,
        history_date="2026-01-01T00:00:00Z",
        history_type="+",
    )

    migrate_to_latest()

    assert {r.name: (r.name_ja, r.name_en) for r in Region.objects.all()} == {
        "Sapporo": ("札幌", "Sapporo"),
        "Hakodate": ("函館", "Hakodate"),
        "Kushiro": ("Kushiro", "Kushiro"),
    }
    assert {b.name: (b.name_ja, b.name_en) for b in TimeOfUseBand.objects.all()} == {
        "ピーク peak": ("ピーク", "peak"),
        "night": ("夜間", "night"),
        "朝 morning": ("朝 morning", "朝 morning"),
    }
    restored = TimeOfUseBand.history.get()
    assert (restored.name, restored.name_ja, restored.name_en) == ("ピーク peak", "ピーク", "peak")
