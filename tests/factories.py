import hashlib

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from energy.models import IngestBatch, Meter, Premise, Region


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
