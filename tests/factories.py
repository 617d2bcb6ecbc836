import hashlib
from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from energy.models import IngestBatch, Meter, Premise, Region
from energy.tariffs.models import (
    ElectricityTariff,
    ElectricityTariffVersion,
    EmissionFactor,
    FuelCostAdjustment,
    GasRawMaterialAdjustment,
    GasTariff,
    GasTariffVersion,
    GasUsageBand,
    TimeOfUseBand,
)
from flags.models import Flag


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["name"]

    name = "Sapporo"
    # As the migration fills a region nobody named yet: its identifier in both languages.
    name_ja = factory.SelfAttribute("name")
    name_en = factory.SelfAttribute("name")
    time_zone = "Asia/Tokyo"


class PremiseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Premise

    owner = factory.SubFactory(UserFactory)
    region = factory.SubFactory(RegionFactory)
    name = "Home"
    dwelling_type = "detached"
    floor_area_m2 = 95
    household_size = 3


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    premise = factory.SubFactory(PremiseFactory)
    serial = factory.Sequence(lambda n: f"M-{n:06d}")
    commodity = "electricity"
    unit = "kWh"
    interval_minutes = 30


class IngestBatchFactory(factory.django.DjangoModelFactory):
    """A batch stored as received; prefer ``batch_receive`` unless the payload must be odd."""

    class Meta:
        model = IngestBatch

    client = factory.SubFactory(UserFactory)
    format = "csv"
    payload = "meter,ts,value\n"
    payload_sha256 = factory.LazyAttribute(
        lambda batch: hashlib.sha256(batch.payload.encode()).hexdigest()
    )


# Tariff factories: round prices so tests can compute bills by hand.


class ElectricityTariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ElectricityTariff
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Standard lighting B {n}")
    utility = "Test Electric"


class ElectricityTariffVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ElectricityTariffVersion

    tariff = factory.SubFactory(ElectricityTariffFactory)
    valid_from = date(2020, 1, 1)
    valid_until = None
    basic_charge_jpy = 1000
    tier1_limit_kwh = 120
    tier2_limit_kwh = 300
    tier1_price_jpy_per_kwh = 30
    tier2_price_jpy_per_kwh = 40
    tier3_price_jpy_per_kwh = 50
    renewable_levy_jpy_per_kwh = 3


class TimeOfUseBandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOfUseBand

    version = factory.SubFactory(ElectricityTariffVersionFactory)
    name = "peak"
    name_ja = factory.SelfAttribute("name")
    name_en = factory.SelfAttribute("name")
    start_hour = 17
    end_hour = 21
    price_jpy_per_kwh = 60


class FuelCostAdjustmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FuelCostAdjustment

    tariff = factory.SubFactory(ElectricityTariffFactory)
    month = date(2025, 1, 1)
    jpy_per_kwh = 2


class GasTariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GasTariff
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"General gas {n}")
    utility = "Test Gas"
    has_raw_material_adjustment = True


class GasTariffVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GasTariffVersion

    tariff = factory.SubFactory(GasTariffFactory)
    valid_from = date(2020, 1, 1)
    valid_until = None


class GasUsageBandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GasUsageBand

    version = factory.SubFactory(GasTariffVersionFactory)
    label = "A"
    up_to_m3 = None
    basic_charge_jpy = 1000
    unit_price_jpy_per_m3 = 200


class GasRawMaterialAdjustmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GasRawMaterialAdjustment

    tariff = factory.SubFactory(GasTariffFactory)
    month = date(2025, 1, 1)
    jpy_per_m3 = 10


class EmissionFactorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmissionFactor

    commodity = "electricity"
    kg_co2_per_unit = "0.5"
    valid_from = date(2020, 1, 1)
    valid_until = None
    source = "test"


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"flag_{n}")
    note = "A flag for tests"

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or []:
            self.groups.add(Group.objects.get_or_create(name=name)[0])
