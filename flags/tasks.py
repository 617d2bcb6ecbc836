"""Celery tasks of flags: thin, each calls one service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from flags.scheduling import scheduled_changes_apply


# A lost database connection rolls the run back whole; the retry (or the next minute's run)
# makes the same changes, never one twice (flags/scheduling.py).
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=3,
)
def scheduled_flag_changes_apply() -> int:
    return scheduled_changes_apply()
