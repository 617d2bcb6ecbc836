"""Celery tasks of the flags app: thin, each calls one service."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="flags.tasks.experiment_results_compute_running")
def experiment_results_compute_running() -> list[int]:
    """Recompute the results of every running experiment; return their ids."""
    from flags.experiments.results import experiment_results_compute
    from flags.models import Experiment, ExperimentStatus

    done = []
    for experiment in Experiment.objects.filter(status=ExperimentStatus.RUNNING):
        experiment_results_compute(experiment=experiment)
        done.append(experiment.pk)
    logger.info("Experiment results computed for %s", done)
    return done
