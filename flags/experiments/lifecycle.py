"""An experiment's state changes: staff start, pause and stop it (from the admin).

Each locks the experiment's row, so two staff acting at once change it once. ``user`` names who
did it in the history (a request's user is recorded anyway, by simple-history's middleware).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict
from flags.models import Experiment, ExperimentStatus

# A control and at least one treatment: with fewer there is nothing to compare.
MIN_VARIANTS = 2


def _locked(experiment: Experiment, user) -> Experiment:
    locked = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if user is not None:
        locked._history_user = user
    return locked


def experiment_start(*, experiment: Experiment, user=None) -> Experiment:
    """Run the experiment (from now, unless it has a start already); it needs two variants."""
    with transaction.atomic():
        experiment = _locked(experiment, user)
        if experiment.variants.count() < MIN_VARIANTS:
            raise Conflict(
                _("%(key)s needs at least two variants.") % {"key": experiment.key},
                code="experiment_variants_too_few",
            )
        experiment.status = ExperimentStatus.RUNNING
        experiment.starts_at = experiment.starts_at or timezone.now()
        experiment.save()
    return experiment


def experiment_pause(*, experiment: Experiment, user=None) -> Experiment:
    """Pause a running experiment: nobody new is assigned until it runs again."""
    with transaction.atomic():
        experiment = _locked(experiment, user)
        if experiment.status == ExperimentStatus.PAUSED:
            return experiment
        if experiment.status != ExperimentStatus.RUNNING:
            raise Conflict(
                _("%(key)s is not running, so it cannot be paused.") % {"key": experiment.key},
                code="experiment_not_running",
            )
        experiment.status = ExperimentStatus.PAUSED
        experiment.save()
    return experiment


def experiment_stop(*, experiment: Experiment, user=None) -> Experiment:
    """Stop the experiment (ending now, unless it has an end already)."""
    with transaction.atomic():
        experiment = _locked(experiment, user)
        if experiment.status == ExperimentStatus.STOPPED:
            return experiment
        experiment.status = ExperimentStatus.STOPPED
        experiment.ends_at = experiment.ends_at or timezone.now()
        experiment.save()
    return experiment
