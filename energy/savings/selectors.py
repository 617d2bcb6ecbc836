"""What staff read about recommendations: how many are shown, will be done and are done, and
the savings they estimate and (once done) measure (the BizDevOps overview's business figures)."""

from collections import defaultdict

from django.db.models import Count, Q

from energy.models import Unit
from energy.savings.models import Recommendation, RecommendationStatus


def recommendation_counts() -> dict[str, int]:
    counts = Recommendation.objects.aggregate(
        shown=Count("pk", filter=Q(is_current=True)),
        will_do=Count("pk", filter=Q(status=RecommendationStatus.WILL_DO)),
        done=Count("pk", filter=Q(status=RecommendationStatus.DONE)),
    )
    return counts


def _savings_zero() -> dict[str, float]:
    return {"kwh": 0.0, "m3": 0.0, "jpy": 0.0, "co2_kg": 0.0}


def savings_totals() -> dict:
    """Estimated (will do or done) and measured (done) savings per year, total and by kind."""
    estimated = {"total": _savings_zero(), "by_kind": defaultdict(_savings_zero)}
    measured = {"total": _savings_zero(), "by_kind": defaultdict(_savings_zero)}
    rows = Recommendation.objects.filter(
        status__in=[RecommendationStatus.WILL_DO, RecommendationStatus.DONE]
    ).values_list(
        "kind",
        "unit",
        "status",
        "saving_per_year",
        "saving_jpy",
        "saving_co2_kg",
        "measured_avoided",
    )
    for kind, unit, status, per_year, jpy, co2, avoided in rows:
        unit_key = "kwh" if unit == Unit.KWH else "m3" if unit == Unit.M3 else None
        for target in (estimated["total"], estimated["by_kind"][kind]):
            if unit_key and per_year is not None:
                target[unit_key] += per_year
            target["jpy"] += jpy or 0.0
            target["co2_kg"] += co2 or 0.0
        if status != RecommendationStatus.DONE or avoided is None:
            continue
        for target in (measured["total"], measured["by_kind"][kind]):
            if unit_key:
                target[unit_key] += avoided
            # The estimate's yen and CO2 per unit saved, applied to the measured units.
            if per_year:
                target["jpy"] += avoided * (jpy or 0.0) / per_year
                target["co2_kg"] += avoided * (co2 or 0.0) / per_year
    return {
        "estimated": {**estimated, "by_kind": dict(estimated["by_kind"])},
        "measured": {**measured, "by_kind": dict(measured["by_kind"])},
    }
