"""What happens to a recommendation after it is computed: the customer's status, measured
savings after "done", and recomputation when new data arrives (debounced)."""

import logging

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.celery_app import task_by_name
from config.errors import ValidationFailed
from energy.models import Meter, Premise
from energy.savings.models import Recommendation, RecommendationStatus

logger = logging.getLogger(__name__)

CUSTOMER_STATUSES = (
    RecommendationStatus.WILL_DO,
    RecommendationStatus.DONE,
    RecommendationStatus.NOT_FOR_ME,
)
# Many ingest batches for a premise within this time cause one recomputation, this long
# after the first of them (a gateway typically delivers a day in several batches).
RECOMPUTE_DEBOUNCE_SECONDS = 600
# Measured savings need at least this many reporting days after "done" (a month covers a
# full weekly cycle four times; fewer days make the uncertainty larger than most savings).
MEASURE_MIN_REPORTING_DAYS = 30


def recommendation_status_set(*, recommendation: Recommendation, status: str) -> Recommendation:
    """Record the customer's decision; after "done", measure savings once data allows."""
    if status not in CUSTOMER_STATUSES:
        raise ValidationFailed(
            str(_("Unknown status %(status)r; use one of: %(allowed)s."))
            % {"status": status, "allowed": ", ".join(CUSTOMER_STATUSES)},
            code="invalid_status",
            details={"status": [f"must be one of {', '.join(CUSTOMER_STATUSES)}"]},
        )
    recommendation.status = status
    recommendation.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at"]
    if status != RecommendationStatus.DONE:
        # Not done (any more): an earlier measurement no longer describes anything.
        recommendation.measurement = {}
        recommendation.measured_at = None
        recommendation.measured_fractional_savings = None
        recommendation.measured_fractional_savings_uncertainty = None
        recommendation.measured_avoided = None
        recommendation.measured_avoided_uncertainty = None
        fields += [
            "measurement",
            "measured_at",
            "measured_fractional_savings",
            "measured_fractional_savings_uncertainty",
            "measured_avoided",
            "measured_avoided_uncertainty",
        ]
    recommendation.save(update_fields=fields)
    if status == RecommendationStatus.DONE:
        task_by_name("energy.tasks.recommendation_savings_measure_task").delay_on_commit(
            recommendation.pk
        )
    return recommendation


def recommendations_schedule(*, premise_ids: list[int]) -> list[int]:
    """Queue one recomputation for these premises unless one is already pending; return the
    premises newly queued.

    ``cache.add`` is atomic in Redis: of many batches arriving together, one wins per premise.
    The task clears the keys before it computes, so data arriving meanwhile queues another.
    """
    fresh = [
        premise_id
        for premise_id in sorted(set(premise_ids))
        if cache.add(_pending_key(premise_id), 1, RECOMPUTE_DEBOUNCE_SECONDS + 60)
    ]
    if fresh:
        task_by_name("energy.tasks.recommendations_recompute").apply_async(
            args=[fresh], countdown=RECOMPUTE_DEBOUNCE_SECONDS
        )
    return fresh


def recommendations_pending_clear(*, premise_ids: list[int]) -> None:
    cache.delete_many([_pending_key(premise_id) for premise_id in premise_ids])


def _pending_key(premise_id: int) -> str:
    return f"recommendations:pending:{premise_id}"


def premises_of_meters(*, meter_ids: list[int]) -> list[int]:
    return sorted(set(Meter.objects.filter(pk__in=meter_ids).values_list("premise_id", flat=True)))


def premise_ids_all() -> list[int]:
    return list(Premise.objects.order_by("pk").values_list("pk", flat=True))


def recommendation_savings_measure(*, recommendation: Recommendation) -> Recommendation:
    """Measure the household's savings since it marked the recommendation done (CalTRACK M&V).

    The intervention date is the local day the customer said "done". With fewer than
    ``MEASURE_MIN_REPORTING_DAYS`` reporting days, or a baseline the method cannot use, the
    reasons are stored instead of a number.
    """
    from energy.models import DailyUsage
    from energy.savings.caltrack import DataInsufficient
    from energy.savings.services import meter_savings_measure

    if recommendation.status != RecommendationStatus.DONE or recommendation.meter_id is None:
        return recommendation
    meter = recommendation.meter
    intervention = timezone.localtime(
        recommendation.status_changed_at, meter.premise.region.tzinfo
    ).date()
    reporting_days = DailyUsage.objects.filter(meter=meter, date__gte=intervention).count()
    now = timezone.now()
    if reporting_days < MEASURE_MIN_REPORTING_DAYS:
        recommendation.measurement = {
            "status": "not_enough_data",
            "intervention": intervention.isoformat(),
            "reasons": [
                f"{reporting_days} reporting days since {intervention.isoformat()}; "
                f"at least {MEASURE_MIN_REPORTING_DAYS} are needed"
            ],
        }
        recommendation.save(update_fields=["measurement"])
        return recommendation
    try:
        measured = meter_savings_measure(meter=meter, intervention=intervention)
    except DataInsufficient as exc:
        recommendation.measurement = {
            "status": "not_enough_data",
            "intervention": intervention.isoformat(),
            "reasons": list(exc.reasons),
        }
        recommendation.save(update_fields=["measurement"])
        return recommendation
    recommendation.measurement = {"status": "measured", **measured.as_dict()}
    recommendation.measured_fractional_savings = measured.fractional_savings
    recommendation.measured_fractional_savings_uncertainty = measured.fractional_savings_uncertainty
    recommendation.measured_avoided = measured.avoided
    recommendation.measured_avoided_uncertainty = measured.avoided_uncertainty
    recommendation.measured_at = now
    recommendation.save(
        update_fields=[
            "measurement",
            "measured_fractional_savings",
            "measured_fractional_savings_uncertainty",
            "measured_avoided",
            "measured_avoided_uncertainty",
            "measured_at",
        ]
    )
    return recommendation


def recommendations_done_ids() -> list[int]:
    """Recommendations marked done whose household savings are (re)measured nightly."""
    return list(
        Recommendation.objects.filter(status=RecommendationStatus.DONE, meter__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
