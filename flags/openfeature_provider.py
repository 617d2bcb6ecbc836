"""An OpenFeature provider over Shoene's flags, switches and experiments.

The portal evaluates through the OpenFeature client (``flags.services``), so another vendor's
provider can stand behind it (``openfeature.api.set_provider``). Resolution, from the process's
snapshot (``flags.evaluation``), so a check costs no query:

* boolean: a waffle flag (waffle's rules: STATIC, DISABLED, TARGETING_MATCH, SPLIT or DEFAULT;
  variant "on"/"off"), else a waffle switch (STATIC), else a running experiment with that key,
  else a boolean flag declared in ``flags/registry.py`` but not yet in the database (DEFAULT).
* string, integer, float, object: a running experiment with that key gives the unit its
  variant's value (SPLIT, the variant key; the first exposure is recorded); outside it, or with
  no experiment running, the registry default (DEFAULT).
* an unknown key is FLAG_NOT_FOUND; a value of another type than the one asked for is
  TYPE_MISMATCH (an integral float is an integer, an integer a float, a bool neither). Either
  way the client returns the caller's default with reason ERROR.

The evaluation context: ``targeting_key`` is the user id as a string (another key, or none, is
an anonymous visitor); attributes ``is_staff``, ``is_superuser``, ``language``, ``group_ids``,
``region_id`` and ``dwelling_type``. Group ids and the home's region and dwelling type are read
from the database when a rule needs them and the context lacks them.
"""

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagType, Reason
from openfeature.provider import AbstractProvider, Metadata
from openfeature.provider.no_op_provider import NoOpProvider

from config.observability.metrics import EXPERIMENT_EXPOSURES
from flags import evaluation
from flags.registry import flag_spec

PROVIDER_NAME = "shoene"
# The variant a registry default is served as, when no experiment gives the unit one.
DEFAULT_VARIANT = "default"
# Attributes the provider reads from the evaluation context into a Unit's targeting data.
TARGETING_ATTRIBUTES = ("group_ids", "region_id", "dwelling_type")


def unit_from_context(evaluation_context: EvaluationContext | None) -> evaluation.Unit:
    """The unit an OpenFeature evaluation context describes (no query)."""
    context = evaluation_context or EvaluationContext()
    key = context.targeting_key
    attributes = context.attributes or {}
    language = attributes.get("language")
    return evaluation.Unit.from_context(
        user_id=int(key) if isinstance(key, str) and key.isdecimal() else None,
        is_staff=attributes.get("is_staff") is True,
        is_superuser=attributes.get("is_superuser") is True,
        language=language if isinstance(language, str) else None,
        attributes={name: attributes[name] for name in TARGETING_ATTRIBUTES if name in attributes},
    )


def _typed(value: Any, flag_type: FlagType) -> tuple[bool, Any]:
    """(True, the value as the type asked for) or (False, None) when it is another type."""
    if flag_type is FlagType.BOOLEAN:
        return isinstance(value, bool), value
    if flag_type is FlagType.STRING:
        return isinstance(value, str), value
    if isinstance(value, bool):
        return False, None  # a bool is an int in Python, but not a number here
    if flag_type is FlagType.INTEGER:
        if isinstance(value, int):
            return True, value
        # The provider TCK: 10.0 is an integer; 0.5 is a mismatch, never silently rounded.
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        return False, None
    if flag_type is FlagType.FLOAT:
        if isinstance(value, int | float):
            return True, float(value)
        return False, None
    # An object is JSON's object or array; a copy, so a caller cannot change the snapshot.
    if isinstance(value, Mapping | list | tuple):
        return True, copy.deepcopy(value)
    return False, None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "object"


def _error(default_value: Any, code: ErrorCode, message: str) -> FlagResolutionDetails:
    return FlagResolutionDetails(
        value=default_value, reason=Reason.ERROR, error_code=code, error_message=message
    )


def _mismatch(flag_key: str, flag_type: FlagType, actual: str, default_value: Any):
    return _error(
        default_value,
        ErrorCode.TYPE_MISMATCH,
        f"Flag {flag_key!r} is {actual}, not {flag_type.value.lower()}.",
    )


class ShoeneProvider(AbstractProvider):
    """Shoene's flags (waffle flags and switches), experiments and registry defaults."""

    def get_metadata(self) -> Metadata:
        return Metadata(name=PROVIDER_NAME)

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        return self._resolve(flag_key, FlagType.BOOLEAN, default_value, evaluation_context)

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        return self._resolve(flag_key, FlagType.STRING, default_value, evaluation_context)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        return self._resolve(flag_key, FlagType.INTEGER, default_value, evaluation_context)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        return self._resolve(flag_key, FlagType.FLOAT, default_value, evaluation_context)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[Any] | Mapping[str, Any],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[Any] | Mapping[str, Any]]:
        return self._resolve(flag_key, FlagType.OBJECT, default_value, evaluation_context)

    # The SDK's async variants call the sync ones inside the event loop, where Django refuses
    # database access (the snapshot load, a lazy group read, the exposure write).
    async def resolve_boolean_details_async(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        resolve = sync_to_async(self.resolve_boolean_details)
        return await resolve(flag_key, default_value, evaluation_context)

    async def resolve_string_details_async(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        resolve = sync_to_async(self.resolve_string_details)
        return await resolve(flag_key, default_value, evaluation_context)

    async def resolve_integer_details_async(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        resolve = sync_to_async(self.resolve_integer_details)
        return await resolve(flag_key, default_value, evaluation_context)

    async def resolve_float_details_async(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        resolve = sync_to_async(self.resolve_float_details)
        return await resolve(flag_key, default_value, evaluation_context)

    async def resolve_object_details_async(
        self,
        flag_key: str,
        default_value: Sequence[Any] | Mapping[str, Any],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[Any] | Mapping[str, Any]]:
        resolve = sync_to_async(self.resolve_object_details)
        return await resolve(flag_key, default_value, evaluation_context)

    def _resolve(
        self,
        flag_key: str,
        flag_type: FlagType,
        default_value: Any,
        evaluation_context: EvaluationContext | None,
    ) -> FlagResolutionDetails:
        details = self._resolve_details(flag_key, flag_type, default_value, evaluation_context)
        # Counted by the variant served (on/off, an experiment's variant, "default"); errors
        # by their code, so a flag missing in one process shows up.
        served = details.variant or (
            f"error:{details.error_code}" if details.error_code else "default"
        )
        evaluation.evaluation_count(flag_key, str(served))
        return details

    def _resolve_details(
        self,
        flag_key: str,
        flag_type: FlagType,
        default_value: Any,
        evaluation_context: EvaluationContext | None,
    ) -> FlagResolutionDetails:
        snapshot = evaluation.snapshot()
        unit = unit_from_context(evaluation_context)

        # Waffle flags and switches are booleans: asked as anything else, a mismatch.
        rule = snapshot.flags.get(flag_key)
        if rule is not None or flag_key in snapshot.switches:
            if flag_type is not FlagType.BOOLEAN:
                return _mismatch(flag_key, flag_type, "boolean", default_value)
            if rule is not None:
                result = evaluation.flag_evaluate(rule, unit)
                value, reason, source = bool(result.value), result.reason, "flag"
            else:
                value, reason, source = snapshot.switches[flag_key], Reason.STATIC, "switch"
            return FlagResolutionDetails(
                value=value,
                reason=reason,
                variant="on" if value else "off",
                flag_metadata={"source": source},
            )

        experiment = snapshot.experiments.get(flag_key)
        if experiment is not None:
            result = evaluation.experiment_evaluate(experiment, unit)
            if result is not None:
                ok, value = _typed(result.value, flag_type)
                if not ok:
                    actual = _json_type(result.value)
                    return _mismatch(flag_key, flag_type, actual, default_value)
                # Recorded only when the unit is served the variant (not on a mismatch).
                if evaluation.exposure_record(result=result, unit=unit):
                    EXPERIMENT_EXPOSURES.labels(experiment.key, result.variant).inc()
                return FlagResolutionDetails(
                    value=value,
                    reason=result.reason,
                    variant=result.variant,
                    flag_metadata={
                        "source": "experiment",
                        "experiment_key": experiment.key,
                        "experiment_id": experiment.id,
                    },
                )

        spec = flag_spec(flag_key)
        if spec is not None:
            ok, value = _typed(spec.default, flag_type)
            if not ok:
                return _mismatch(flag_key, flag_type, spec.value_type, default_value)
            return FlagResolutionDetails(
                value=value,
                reason=Reason.DEFAULT,
                variant=DEFAULT_VARIANT,
                flag_metadata={"source": "registry"},
            )
        if experiment is not None:
            # An experiment under a key the registry lacks: outside it, the code's default.
            return FlagResolutionDetails(
                value=default_value, reason=Reason.DEFAULT, flag_metadata={"source": "code"}
            )
        return _error(default_value, ErrorCode.FLAG_NOT_FOUND, f"No flag {flag_key!r}.")


def provider_register() -> None:
    """Make Shoene's provider the OpenFeature API's default, unless one was set already
    (a deployment may choose another vendor's before Django starts).

    ``set_provider_and_wait``: ``set_provider`` initialises in a background thread, and the
    client answers PROVIDER_NOT_READY (the caller's default) until that thread has run.
    """
    if isinstance(api.get_client().provider, NoOpProvider):
        api.set_provider_and_wait(ShoeneProvider())
