"""The door to feature flags and experiments for other apps: they call these, never waffle
(or the evaluation internals) directly.

The portal's flags are evaluated through the OpenFeature client, so the provider behind it
(``flags.openfeature_provider.ShoeneProvider``, registered at start-up) can be swapped for another
vendor's with ``openfeature.api.set_provider``.
"""

from datetime import date
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext

from config.degrade import REDIS_ERRORS, redis_unavailable
from flags import evaluation
from flags.registry import flag_spec

# Flags the customer portal evaluates; templates read them as ``portal_flags.<name>``.
PORTAL_FLAGS = ("portal_winter_tips",)
RECOMMENDATION_FRAMING = "recommendation_framing"
FRAMINGS = ("yen", "kwh", "neighbours")


def openfeature_client() -> OpenFeatureClient:
    """The client the portal evaluates with; it asks whichever provider is set at the time."""
    return api.get_client()


def unit_for(request: HttpRequest) -> evaluation.Unit:
    """Who this request evaluates flags for (made once per request)."""
    unit = getattr(request, "_flags_unit", None)
    if unit is None:
        unit = evaluation.Unit(request.user, language=getattr(request, "LANGUAGE_CODE", None))
        request._flags_unit = unit
    return unit


def evaluation_context_for(*, request: HttpRequest, names=()) -> EvaluationContext:
    """The OpenFeature evaluation context of this request, for evaluating ``names``.

    The user id, staff and superuser flags and the language cost nothing. Group ids and the
    home's region and dwelling type cost a query each (once per request), so they are added
    only when our rules for ``names`` target them; a provider that needs them otherwise reads
    them itself.
    """
    unit = unit_for(request)
    attributes: dict[str, Any] = {"is_staff": unit.is_staff, "is_superuser": unit.is_superuser}
    if unit.language:
        attributes["language"] = unit.language
    if unit.is_authenticated:
        needs = evaluation.snapshot().targeting_needs(names)
        if "groups" in needs:
            attributes["group_ids"] = sorted(unit.group_ids)
        if "premise" in needs:
            region_id, dwelling_type = unit.premise
            # None is no context value: a customer without a home leaves them out.
            if region_id is not None:
                attributes["region_id"] = region_id
            if dwelling_type is not None:
                attributes["dwelling_type"] = dwelling_type
    return EvaluationContext(
        targeting_key=str(unit.id) if unit.is_authenticated else None, attributes=attributes
    )


def flag_is_active(*, request: HttpRequest, name: str) -> bool:
    """A boolean flag for this request's user, straight from the process snapshot.

    The fast check for code paths (about 3 µs warm; bench/flags.py). The portal's own flags go
    through the OpenFeature client (``portal_flags``), so the vendor behind them can be swapped.
    """
    return evaluation.flag_is_active(name=name, unit=unit_for(request))


def switch_is_active(*, name: str) -> bool:
    return evaluation.switch_is_active(name=name)


def portal_flags(*, request: HttpRequest) -> dict[str, bool]:
    """Each portal flag's value for this request."""
    context = evaluation_context_for(request=request, names=PORTAL_FLAGS)
    client = openfeature_client()
    return {name: client.get_boolean_value(name, False, context) for name in PORTAL_FLAGS}


def value_for(*, request: HttpRequest, name: str) -> Any:
    """A typed flag's value: the customer's variant while its experiment runs (recording the
    first exposure), else the registry default. A name the registry lacks is None.

    The type asked for is the registry's: a number is an integer when its default is one.
    """
    spec = flag_spec(name)
    if spec is None:
        return None
    context = evaluation_context_for(request=request, names=(name,))
    client = openfeature_client()
    if spec.value_type == "boolean":
        return client.get_boolean_value(name, spec.default, context)
    if spec.value_type == "string":
        return client.get_string_value(name, spec.default, context)
    if spec.value_type == "number":
        if isinstance(spec.default, int) and not isinstance(spec.default, bool):
            return client.get_integer_value(name, spec.default, context)
        return client.get_float_value(name, spec.default, context)
    return client.get_object_value(name, spec.default, context)


def recommendation_framing(*, request: HttpRequest) -> str:
    """ "yen" (money first), "kwh" (energy first) or "neighbours" (the comparison first)."""
    value = value_for(request=request, name=RECOMMENDATION_FRAMING)
    return value if value in FRAMINGS else "yen"


def portal_visit_record(*, user, today: date | None = None) -> None:
    """Count a customer's portal visit for the day, with one database write a day at most."""
    if not getattr(user, "is_authenticated", False):
        return
    today = today or timezone.localdate()
    try:
        if not cache.add(f"flags:visit:{user.pk}:{today.isoformat()}", 1, timeout=2 * 24 * 3600):
            return
    except REDIS_ERRORS:
        # Without the cache's mark the visit is written anyway (a second write of the same
        # day is ignored by the unique constraint): a write per page view, not a lost visit.
        redis_unavailable(use="portal_visit", lost="a database write per page view")
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
