"""A campaign's or event's results for staff: participants, qualifying customers, use saved,
points awarded, and, when it ran as an experiment's variant, the experiment's measured effect."""

from django.db.models import Sum

from energy.campaigns.eligibility import participants
from energy.campaigns.models import DemandResponseEvent, PointsEntry
from energy.models import Unit
from flags.selectors import experiment_result_latest


def campaign_results(*, campaign) -> dict:
    lines = PointsEntry.objects.filter(
        event=campaign if isinstance(campaign, DemandResponseEvent) else None,
        yoy_campaign=None if isinstance(campaign, DemandResponseEvent) else campaign,
    )
    held = {
        row["award_key"]: row["total"]
        for row in lines.values("award_key").annotate(total=Sum("points")).order_by()
    }
    latest_basis = {}
    for key, basis in lines.order_by("pk").values_list("award_key", "basis"):
        latest_basis[key] = basis  # the newest line's basis describes the current award
    awarded = {key for key, total in held.items() if total > 0}
    qualifying_users = set(
        lines.filter(award_key__in=awarded).values_list("user_id", flat=True).distinct()
    )
    saved = sum(
        max(float(latest_basis[key].get("saving") or 0.0), 0.0)
        for key in awarded
        if key in latest_basis
    )
    effect = None
    if campaign.experiment_id:
        result = experiment_result_latest(experiment=campaign.experiment)
        if result is not None:
            metric = result.data.get("metrics", {}).get(campaign.experiment.primary_metric, {})
            lift = (metric.get("lifts") or {}).get(campaign.experiment_variant) or {}
            effect = {
                "experiment": campaign.experiment.key,
                "metric": metric.get("label"),
                "variant": campaign.experiment_variant,
                "relative": (lift.get("cuped") or {}).get("relative"),
                "relative_percent": None
                if (lift.get("cuped") or {}).get("relative") is None
                else 100 * lift["cuped"]["relative"],
                "relative_ci": (lift.get("cuped") or {}).get("relative_ci"),
                "computed_at": result.computed_at,
            }
    return {
        "participants": len(participants(campaign=campaign)),
        "qualifying_customers": len(qualifying_users),
        "awards": len(awarded),
        "saved": saved,
        "unit": Unit.of(campaign.commodity).label,
        "points": sum(held.values()),
        "lines": lines.count(),
        "corrections": lines.filter(kind=PointsEntry.Kind.CORRECTION).count(),
        "experiment_effect": effect,
    }
