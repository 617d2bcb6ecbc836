"""Reads that decide what a user may see: customers their own premises, the data team all."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection, transaction
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


# Each period's mean in a LATERAL subquery: its aggregate keeps PostgreSQL from flattening it
# into one join, so every period is its own index lookups (owner's premises, their meters, the
# meters' days on DailyUsage's (meter_id, date) key), however many periods there are. As one
# join the plan tipped, at about 2,000 periods on the portal benchmark's data set, to a scan of
# the whole table (5x slower).
_DAILY_MEANS_SQL = """
SELECT period.n, mean.total, mean.days
FROM unnest(%(owner_ids)s::bigint[], %(firsts)s::date[], %(lasts)s::date[])
    WITH ORDINALITY AS period(owner_id, first_day, last_day, n)
CROSS JOIN LATERAL (
    SELECT sum(d.total) AS total, count(DISTINCT d.date) AS days
    FROM energy_premise p
    JOIN energy_meter m ON m.premise_id = p.id AND m.commodity = %(commodity)s
    JOIN energy_dailyusage d
      ON d.meter_id = m.id AND d.date BETWEEN period.first_day AND period.last_day
    WHERE p.owner_id = period.owner_id
) mean
"""


def daily_means_by_owner(
    *,
    commodity: str,
    periods: Sequence[tuple[int, date, date]],
    method: str = "auto",
) -> list[float | None]:
    """Per (owner id, first day, last day): the owner's mean daily total of ``commodity`` over
    the days in it that have data (all the owner's meters summed per day); None without any.

    ``method``: auto, sql (one PostgreSQL statement) or portable (``daily_totals_by_owner``,
    averaged here). Both give the same means up to floating-point rounding
    (tests/energy/test_selectors.py).
    """
    if not periods:
        return []
    if method == "auto":
        method = "sql" if connection.vendor == "postgresql" else "portable"
    if method == "sql":
        return _daily_means_sql(commodity, periods)
    return _daily_means_portable(commodity, periods)


def _daily_means_sql(commodity: str, periods: Sequence[tuple[int, date, date]]) -> list:
    with transaction.atomic(), connection.cursor() as cursor:
        # From about 3,400 periods the statement's estimated cost passes jit_above_cost: at
        # 5,000 compiling took 20-25 ms and the run was no faster (as with energy/rollups.py).
        cursor.execute("SET LOCAL jit = off")
        owner_ids, firsts, lasts = zip(*periods, strict=True)
        cursor.execute(
            _DAILY_MEANS_SQL,
            {
                "owner_ids": _array_literal(owner_ids),
                "firsts": _array_literal(firsts),
                "lasts": _array_literal(lasts),
                "commodity": commodity,
            },
        )
        rows = cursor.fetchall()
    means: list[float | None] = [None] * len(periods)
    for n, total, days in rows:
        if days:
            means[n - 1] = total / days
    return means


def _array_literal(values: Iterable[int | date]) -> str:
    """A PostgreSQL array literal of ids or dates: psycopg adapts a list value by value, about
    5 ms per thousand dates, where joining their text takes a fraction of that."""
    return "{" + ",".join(map(str, values)) + "}"


def _daily_means_portable(commodity: str, periods: Sequence[tuple[int, date, date]]) -> list:
    totals: dict[int, dict[date, float]] = defaultdict(dict)
    for owner_id, day, total in daily_totals_by_owner(
        commodity=commodity,
        owner_ids=sorted({owner_id for owner_id, _, _ in periods}),
        start=min(first for _, first, _ in periods),
        end=max(last for _, _, last in periods),
    ):
        totals[owner_id][day] = total
    means: list[float | None] = []
    for owner_id, first, last in periods:
        inside = [total for day, total in totals[owner_id].items() if first <= day <= last]
        means.append(sum(inside) / len(inside) if inside else None)
    return means


def recommendation_statuses_by_owner(
    *, owner_ids: list[int] | QuerySet, kinds: Iterable[str]
) -> Iterable[tuple[int, str, datetime | None]]:
    """(owner id, status, when it last changed) of the owners' current recommendations of
    ``kinds``; ``owner_ids`` a list or a subquery of ids."""
    return Recommendation.objects.filter(
        premise__owner_id__in=owner_ids, kind__in=kinds, is_current=True
    ).values_list("premise__owner_id", "status", "status_changed_at")
