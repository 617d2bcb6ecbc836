"""Reads of flags' data that other modules and apps need; other apps read flags only through
this module and ``flags.services``."""

from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from waffle.models import Switch

from flags.models import (
    Experiment,
    ExperimentResult,
    ExperimentStatus,
    Exposure,
    Flag,
    PortalVisit,
)
from flags.registry import registry


def experiments_running() -> QuerySet[Experiment]:
    """The experiments customers are being assigned to now, by key."""
    return Experiment.objects.filter(status=ExperimentStatus.RUNNING).order_by("key")


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


def active_customers(*, today) -> dict[str, int]:
    counts = PortalVisit.objects.aggregate(
        days_7=Count("user", distinct=True, filter=Q(date__gte=today - timedelta(days=6))),
        days_30=Count("user", distinct=True, filter=Q(date__gte=today - timedelta(days=29))),
    )
    return {"7d": counts["days_7"], "30d": counts["days_30"]}


def _primary_lifts(result, primary_metric: str) -> list[dict]:
    metric = (result.data.get("metrics") or {}).get(primary_metric) or {}
    lifts = []
    for variant, lift in (metric.get("lifts") or {}).items():
        cuped, welch = lift.get("cuped") or {}, lift.get("welch") or {}
        chosen = cuped if cuped.get("relative") is not None else welch
        lifts.append(
            {
                "variant": variant,
                "relative": chosen.get("relative"),
                "relative_ci": chosen.get("relative_ci"),
                "method": "cuped" if chosen is cuped else "welch",
            }
        )
    return lifts


def running_experiments() -> list[dict]:
    """Running experiments with their latest result's primary-metric lifts and SRM check."""
    rows = []
    # A handful run at a time: one query each for its latest result.
    for experiment in experiments_running():
        result = experiment_result_latest(experiment=experiment)
        rows.append(
            {
                "key": experiment.key,
                "name": experiment.name,
                "id": experiment.pk,
                "primary_metric": experiment.primary_metric,
                "computed_at": result.computed_at.isoformat() if result else None,
                "lifts": _primary_lifts(result, experiment.primary_metric) if result else [],
                "srm_p_value": result.srm_p_value if result else None,
                "srm_flagged": result.srm_flagged if result else None,
            }
        )
    return rows


def flag_changes(*, since: datetime) -> list[dict]:
    """Flags and switches changed since then, newest first, with the staff member who did it."""
    changes = []
    for history, kind in ((Flag.history, "flag"), (Switch.history, "switch")):
        recent = history.filter(history_date__gte=since).values_list(
            "name", "history_date", "history_type", "history_user__username"
        )
        for name, when, change, username in recent:
            changes.append(
                {
                    "kind": kind,
                    "name": name,
                    "at": when.isoformat(),
                    "change": {"+": "created", "~": "changed", "-": "deleted"}.get(change, change),
                    "by": username or "",
                }
            )
    changes.sort(key=lambda c: c["at"], reverse=True)
    return changes


def flags_expiring(*, today: date, within_days: int) -> list[dict]:
    """Flags in code whose expiry (flags/registry.py) is within ``within_days`` or past,
    soonest first, with their owner and the id of their row (None when not created yet)."""
    specs = sorted(
        (spec for spec in registry().values() if (spec.expires - today).days <= within_days),
        key=lambda spec: spec.expires,
    )
    ids = dict(Flag.objects.filter(name__in=[s.name for s in specs]).values_list("name", "pk"))
    return [
        {
            "name": spec.name,
            "owner": spec.owner,
            "expires": spec.expires,
            "days_left": (spec.expires - today).days,
            "id": ids.get(spec.name),
        }
        for spec in specs
    ]
