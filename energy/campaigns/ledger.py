"""The points ledger: append-only, and idempotent per award.

An award is named by a key (``yoy:<campaign>:<user>:<premise>:<YYYY-MM>`` or
``event:<event>:<user>:<premise>``). Awarding computes what the customer should hold for that
key and appends only the difference (the first time an "award" line, later a "correction"),
so a recomputation after late data corrects the award and a retry awards nothing twice. Lines
are never edited or deleted.
"""

from django.db import transaction
from django.db.models import Sum

from energy.campaigns.models import PointsEntry


def points_held(*, award_key: str) -> int:
    return (
        PointsEntry.objects.filter(award_key=award_key).aggregate(total=Sum("points"))["total"] or 0
    )


def points_award(
    *,
    user_id: int,
    premise_id: int,
    award_key: str,
    points: int,
    basis: dict,
    yoy_campaign_id: int | None = None,
    event_id: int | None = None,
) -> PointsEntry | None:
    """Make the customer hold ``points`` for ``award_key``; return the new line, or None when
    nothing changed. Serialised per key (a row lock on the user), so two runs at once cannot
    both append."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user_id).first()
        held = points_held(award_key=award_key)
        if held == points:
            return None
        kind = (
            PointsEntry.Kind.AWARD
            if not PointsEntry.objects.filter(award_key=award_key).exists()
            else PointsEntry.Kind.CORRECTION
        )
        return PointsEntry.objects.create(
            user_id=user_id,
            premise_id=premise_id,
            award_key=award_key,
            kind=kind,
            points=points - held,
            basis={**basis, "points_before": held, "points_now": points},
            yoy_campaign_id=yoy_campaign_id,
            event_id=event_id,
        )


def points_balance(*, user_id: int) -> int:
    return PointsEntry.objects.filter(user_id=user_id).aggregate(total=Sum("points"))["total"] or 0
