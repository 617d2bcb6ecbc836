"""Reads that decide what a user may see: customers their own premises, the data team all."""

from django.db.models import QuerySet

from energy.models import Meter, Premise

# Holders of this permission (the data team, staff) see every premise; customers their own.
VIEW_ALL_PERMISSION = "energy.view_dailyusage"


def premises_for(*, user) -> QuerySet[Premise]:
    if not user.is_authenticated:
        return Premise.objects.none()
    if user.has_perm(VIEW_ALL_PERMISSION):
        return Premise.objects.all()
    return Premise.objects.filter(owner=user)


def meters_for(*, user) -> QuerySet[Meter]:
    return Meter.objects.filter(premise__in=premises_for(user=user))
