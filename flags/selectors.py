"""Reads of flags' data that other modules and apps need; other apps read flags only through
this module and ``flags.services``."""

from django.db.models import QuerySet

from flags.models import Experiment, ExperimentResult, Exposure


def experiment_result_latest(*, experiment: Experiment) -> ExperimentResult | None:
    """The experiment's most recently computed result; None before its first computation."""
    return experiment.results.order_by("-computed_at").first()


def exposed_user_ids(*, experiment_id: int, variant_key: str = "") -> QuerySet:
    """Ids of the customers exposed to the experiment (to ``variant_key`` when given), as a
    subquery: ``filter(owner_id__in=exposed_user_ids(...))``."""
    exposed = Exposure.objects.filter(experiment_id=experiment_id)
    if variant_key:
        exposed = exposed.filter(variant__key=variant_key)
    return exposed.values("user_id")
