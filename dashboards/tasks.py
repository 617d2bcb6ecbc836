"""Celery tasks of the dashboards: thin wrappers over dashboards.overview."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def overview_compute_task() -> float:
    """Every minute (beat): the staff overview's aggregates; returns the computation's ms."""
    from dashboards.overview import overview_compute

    return overview_compute().compute_ms
