"""Reads that decide what a user may see: customers their own premises, the data team all."""

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import QuerySet, Sum

from energy.models import DailyUsage, DwellingType, Meter, Premise
from energy.savings.models import Recommendation

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


# --- For the flags app (experiment targeting and metrics): it reads energy only through these ---


def dwelling_type_choices() -> list[tuple[str, str]]:
    """The dwelling types an experiment may target, as form choices."""
    return DwellingType.choices


def premise_targeting_for(*, user_id: int) -> tuple[int | None, str | None]:
    """(region id, dwelling type) of the user's first premise; (None, None) without one."""
    first = (
        Premise.objects.filter(owner_id=user_id)
        .order_by("pk")
        .values_list("region_id", "dwelling_type")
        .first()
    )
    return first or (None, None)


def premise_owner_ids(*, regions=None, dwelling_types=(), groups=None) -> list[int]:
    """Owners of premises in ``regions``, of ``dwelling_types`` and in ``groups`` (a condition
    not given admits everyone), sorted."""
    premises = Premise.objects.all()
    if regions is not None:
        premises = premises.filter(region__in=regions)
    if dwelling_types:
        premises = premises.filter(dwelling_type__in=dwelling_types)
    users = premises.values_list("owner_id", flat=True).distinct()
    if groups is not None:
        users = users.filter(owner__groups__in=groups)
    return sorted(set(users))


def daily_totals_by_owner(
    *, commodity: str, owner_ids: list[int], start: date, end: date
) -> Iterable[tuple[int, date, float]]:
    """(owner id, date, the owner's meters' total of ``commodity`` that day), ``start`` to
    ``end`` inclusive."""
    return (
        DailyUsage.objects.filter(
            meter__commodity=commodity,
            meter__premise__owner_id__in=owner_ids,
            date__gte=start,
            date__lte=end,
        )
        .values_list("meter__premise__owner_id", "date")
        .annotate(total=Sum("total"))
        .order_by()
    )


def recommendation_statuses_by_owner(
    *, owner_ids: list[int], kinds: Iterable[str]
) -> Iterable[tuple[int, str, datetime | None]]:
    """(owner id, status, when it last changed) of the owners' current recommendations of
    ``kinds``."""
    return Recommendation.objects.filter(
        premise__owner_id__in=owner_ids, kind__in=kinds, is_current=True
    ).values_list("premise__owner_id", "status", "status_changed_at")
