"""Celery tasks of the flags app: thin, each calls one service and owns its retry policy."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from flags.scheduling import scheduled_changes_apply

logger = logging.getLogger(__name__)


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


@shared_task(name="flags.tasks.experiment_results_compute_running")
def experiment_results_compute_running() -> list[int]:
    """Recompute the results of every running experiment; return their ids."""
    from flags.experiments.results import experiment_results_compute
    from flags.selectors import experiments_running

    done = []
    for experiment in experiments_running():
        experiment_results_compute(experiment=experiment)
        done.append(experiment.pk)
    logger.info("Experiment results computed for %s", done)
    return done
