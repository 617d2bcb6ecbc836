"""The door to feature flags and experiments for other apps: they call these, never waffle
(or the evaluation internals) directly."""

from datetime import date
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from flags import evaluation
from flags.registry import flag_spec

# Flags the customer portal evaluates; templates read them as ``portal_flags.<name>``.
PORTAL_FLAGS = ("portal_winter_tips",)
RECOMMENDATION_FRAMING = "recommendation_framing"
FRAMINGS = ("yen", "kwh", "neighbours")


def unit_for(request: HttpRequest) -> evaluation.Unit:
    """Who this request evaluates flags for (made once per request)."""
    unit = getattr(request, "_flags_unit", None)
    if unit is None:
        unit = evaluation.Unit(request.user, language=getattr(request, "LANGUAGE_CODE", None))
        request._flags_unit = unit
    return unit


def flag_is_active(*, request: HttpRequest, name: str) -> bool:
    return evaluation.flag_is_active(name=name, unit=unit_for(request))


def switch_is_active(*, name: str) -> bool:
    return evaluation.switch_is_active(name=name)


def portal_flags(*, request: HttpRequest) -> dict[str, bool]:
    """Each portal flag's value for this request."""
    return {name: flag_is_active(request=request, name=name) for name in PORTAL_FLAGS}


def value_for(*, request: HttpRequest, name: str) -> Any:
    """A typed flag's value: the customer's variant while its experiment runs (recording the
    first exposure), else the registry default."""
    unit = unit_for(request)
    rule = evaluation.snapshot().experiments.get(name)
    if rule is not None:
        result = evaluation.experiment_evaluate(rule, unit)
        if result is not None:
            evaluation.exposure_record(result=result, unit=unit)
            return result.value
    spec = flag_spec(name)
    return spec.default if spec else None


def recommendation_framing(*, request: HttpRequest) -> str:
    """ "yen" (money first), "kwh" (energy first) or "neighbours" (the comparison first)."""
    value = value_for(request=request, name=RECOMMENDATION_FRAMING)
    return value if value in FRAMINGS else "yen"


def portal_visit_record(*, user, today: date | None = None) -> None:
    """Count a customer's portal visit for the day, with one database write a day at most."""
    if not getattr(user, "is_authenticated", False):
        return
    today = today or timezone.localdate()
    if not cache.add(f"flags:visit:{user.pk}:{today.isoformat()}", 1, timeout=2 * 24 * 3600):
        return
    from flags.models import PortalVisit

    PortalVisit.objects.bulk_create(
        [PortalVisit(user_id=user.pk, date=today)], ignore_conflicts=True
    )


def experiments_demo_seed() -> bool:
    """A draft framing experiment for the demo (staff start it in the admin); False if one
    exists already."""
    from flags.models import Experiment, Metric, Variant

    if Experiment.objects.filter(key=RECOMMENDATION_FRAMING).exists():
        return False
    experiment = Experiment.objects.create(
        key=RECOMMENDATION_FRAMING,
        name="Recommendation framing: yen, kWh or neighbours",
        hypothesis=(
            "Leading with kWh or with the comparison to similar homes makes more customers "
            "mark a recommendation done than leading with yen."
        ),
        owner="customer-experience",
        primary_metric=Metric.DONE_RATE,
        guardrail_metrics=[Metric.DAILY_KWH, Metric.PORTAL_VISITS],
    )
    for position, (key, name, weight) in enumerate(
        (
            ("yen", "Yen first", "0.334"),
            ("kwh", "kWh first", "0.333"),
            ("neighbours", "Neighbours first", "0.333"),
        )
    ):
        Variant.objects.create(
            experiment=experiment, key=key, name=name, weight=weight, value=key, position=position
        )
    return True
