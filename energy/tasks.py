"""Celery tasks: take ids, call one service, own their retry policy."""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.observability.metrics import RECOMMENDATION_JOB_DURATION, duration_observed
from energy.campaigns.notifications import EmailsNotSent
from energy.ingest.services import batch_process, batches_requeue_stale

# Transient failures (database restart or failover, a dropped connection): retried with
# exponential backoff; the service is idempotent, so a retry after a partial run is safe.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError, ConnectionError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=12,
)
def ingest_batch_process(batch_id: str) -> dict:
    batch = batch_process(batch_id=batch_id)
    return {
        "batch": str(batch.pk),
        "status": batch.status,
        "accepted": batch.accepted_count,
        "duplicates": batch.duplicate_count,
        "corrected": batch.corrected_count,
        "stale": batch.stale_count,
        "rejected": batch.rejected_count,
    }


@shared_task(acks_late=True)
def ingest_batches_requeue_stale() -> int:
    return batches_requeue_stale()


# --- Recommendations -------------------------------------------------------------------


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=5)
def recommendations_generate_nightly() -> dict:
    from energy.savings.generate import recommendations_generate
    from energy.savings.lifecycle import premise_ids_all

    with duration_observed(RECOMMENDATION_JOB_DURATION, "nightly"):
        summary = recommendations_generate(
            premise_ids=premise_ids_all(), today=timezone.localdate()
        )
    return summary.as_dict()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=5)
def recommendations_touched(meter_ids: list[int]) -> list[int]:
    """After ingest: queue a (debounced) recomputation for the premises of these meters."""
    from energy.savings.lifecycle import premises_of_meters, recommendations_schedule

    return recommendations_schedule(premise_ids=premises_of_meters(meter_ids=meter_ids))


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=5)
def recommendations_recompute(premise_ids: list[int]) -> dict:
    from energy.savings.generate import recommendations_generate
    from energy.savings.lifecycle import recommendations_pending_clear

    recommendations_pending_clear(premise_ids=premise_ids)
    with duration_observed(RECOMMENDATION_JOB_DURATION, "recompute"):
        summary = recommendations_generate(premise_ids=premise_ids, today=timezone.localdate())
    return summary.as_dict()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=5)
def recommendation_savings_measure_task(recommendation_id: int) -> dict:
    from energy.savings.lifecycle import recommendation_savings_measure
    from energy.savings.models import Recommendation

    recommendation = Recommendation.objects.select_related("meter__premise__region").get(
        pk=recommendation_id
    )
    return recommendation_savings_measure(recommendation=recommendation).measurement


@shared_task(acks_late=True)
def recommendations_measure_done() -> int:
    """Nightly: measure (again, with the new days) every household that did a recommendation."""
    from energy.savings.lifecycle import recommendations_done_ids

    ids = recommendations_done_ids()
    for recommendation_id in ids:
        recommendation_savings_measure_task.delay(recommendation_id)
    return len(ids)


@shared_task(
    name="energy.tasks.yoy_awards_compute_all",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=3,
)
def yoy_awards_compute_all() -> dict:
    """Award (or correct) the year-on-year campaigns' judged months, until they settle."""
    from energy.campaigns.year_on_year import yoy_awards_recompute

    return yoy_awards_recompute()


# --- Notification emails -------------------------------------------------------------------
#
# Each email is keyed (energy/campaigns/notifications.py), so a retry sends only what has not
# gone out. A run with failed messages raises EmailsNotSent after trying every recipient; the
# retry sends just those. SMTP errors are OSError or smtplib.SMTPException.
EMAIL_RETRY_ERRORS = (*TRANSIENT_ERRORS, OSError, SMTPException, EmailsNotSent)
EMAIL_RETRY = {
    "acks_late": True,
    "autoretry_for": EMAIL_RETRY_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**EMAIL_RETRY)
def event_announcement_send(event_id: int) -> dict:
    from energy.campaigns.notifications import event_announcement_emails_send

    return event_announcement_emails_send(event_id=event_id).as_dict()


@shared_task(**EMAIL_RETRY)
def high_usage_alerts_send() -> dict:
    from energy.campaigns.notifications import high_usage_alerts_send as alerts_send

    return alerts_send().as_dict()


@shared_task(**EMAIL_RETRY)
def weekly_summaries_send() -> dict:
    from energy.campaigns.notifications import weekly_summaries_send as summaries_send

    return summaries_send().as_dict()


# --- Demand-response events ------------------------------------------------------------------


@shared_task(acks_late=True)
def demand_response_awards_compute() -> list[int]:
    """Hourly: recompute the awards of recent events (late readings, corrections)."""
    from energy.campaigns.demand_response import events_to_recompute

    event_ids = events_to_recompute()
    for event_id in event_ids:
        demand_response_event_awards_compute.delay(event_id)
    return event_ids


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=5)
def demand_response_event_awards_compute(event_id: int) -> dict:
    """One event's awards; a retry after a partial run appends only what is still missing."""
    from energy.campaigns.demand_response import event_awards_compute
    from energy.campaigns.models import DemandResponseEvent

    event = DemandResponseEvent.objects.get(pk=event_id)
    return event_awards_compute(event=event).as_dict()


# --- Readings storage ----------------------------------------------------------------------


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=30, max_retries=5)
def readings_partitions_ensure() -> dict:
    """Daily: the months ahead have a readings partition; the default partition is emptied into
    partitions of its rows' months. A lock not granted in time is retried (OperationalError)."""
    from energy.partitions.services import readings_partitions_ensure as partitions_ensure

    return partitions_ensure().as_dict()
