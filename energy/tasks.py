"""Celery tasks: take ids, call one service, own their retry policy."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

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
        "rejected": batch.rejected_count,
    }


@shared_task(acks_late=True)
def ingest_batches_requeue_stale() -> int:
    return batches_requeue_stale()
