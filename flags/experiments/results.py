"""An experiment's results: per variant and metric the units, mean and sd; the lift against the
control with its 95 % interval (Welch) and CUPED-adjusted; the sample-ratio check; guardrails.

Computed by a Celery task for running experiments and on demand from the admin, and stored as
an ExperimentResult (plain JSON) that the admin page, its chart and the API read. The API's
``?fresh=1`` calculates them without storing (a GET changes nothing).
"""

from dataclasses import asdict
from datetime import timedelta

import numpy as np
from django.utils import timezone

from flags.experiments import stats
from flags.experiments.metrics import (
    LOWER_IS_BETTER,
    exposed_units,
    exposure_counts,
    metric_values,
)
from flags.models import Experiment, ExperimentResult, Metric
from flags.selectors import exposed_user_ids


def _lift_json(lift: stats.Lift) -> dict:
    data = asdict(lift)
    data["status"] = str(lift.status)
    return data


def _guardrail(metric: str, lifts: dict[str, dict]) -> str:
    """ "harm" when any variant moves the metric significantly the wrong way, else "ok"."""
    lower_is_better = LOWER_IS_BETTER.get(metric, False)
    for lift in lifts.values():
        interval = (lift.get("cuped") or {}).get("relative_ci") or lift["welch"].get("relative_ci")
        if not interval:
            continue
        low, high = interval
        if (lower_is_better and low > 0) or (not lower_is_better and high < 0):
            return "harm"
    return "ok"


def experiment_results_compute(*, experiment: Experiment) -> ExperimentResult:
    """Compute and store the experiment's results as of now."""
    result = experiment_results_calculate(experiment=experiment)
    result.save()
    return result


def experiment_results_calculate(*, experiment: Experiment) -> ExperimentResult:
    """The experiment's results as of now, not stored (``computed_at`` is now)."""
    variants = list(experiment.variants.order_by("position", "pk"))
    counts = exposure_counts(experiment_id=experiment.pk)
    observed = [counts.get(v.pk, 0) for v in variants]
    srm = (
        stats.srm_check(observed, [float(v.weight) for v in variants])
        if len(variants) > 1 and sum(observed) > 0
        else None
    )
    today = timezone.localdate()
    end = today - timedelta(days=1)  # the last complete day
    if experiment.ends_at is not None:
        end = min(end, timezone.localdate(experiment.ends_at))
    units = exposed_units(experiment_id=experiment.pk)
    metrics = [experiment.primary_metric] + [
        m for m in experiment.guardrail_metrics if m != experiment.primary_metric
    ]
    data = {
        "computed_for": end.isoformat(),
        "variants": [
            {"id": v.pk, "key": v.key, "name": v.name, "weight": float(v.weight), "units": n}
            for v, n in zip(variants, observed, strict=True)
        ],
        "srm": None if srm is None else {**asdict(srm), "observed": observed},
        "metrics": {},
    }
    unit_ids = exposed_user_ids(experiment_id=experiment.pk)
    for metric in metrics:
        values = metric_values(metric=metric, units=units, end=end, unit_ids=unit_ids)
        by_variant: dict[int, list] = {v.pk: [] for v in variants}
        for unit in units:
            value = values.get(unit.user_id)
            if value is not None and unit.variant_id in by_variant:
                by_variant[unit.variant_id].append(value)
        post = {v: np.array([x.post for x in xs], dtype=float) for v, xs in by_variant.items()}
        pre = {
            v: np.array([np.nan if x.pre is None else x.pre for x in xs], dtype=float)
            for v, xs in by_variant.items()
        }
        control = variants[0].pk if variants else None
        summaries = {v.key: asdict(stats.variant_summary(post[v.pk])) for v in variants}
        lifts = {}
        for variant in variants[1:]:
            welch = stats.lift_welch(post[control], post[variant.pk])
            cuped = stats.lift_cuped(post[control], pre[control], post[variant.pk], pre[variant.pk])
            lifts[variant.key] = {"welch": _lift_json(welch), "cuped": _lift_json(cuped)}
        data["metrics"][metric] = {
            "label": str(Metric(metric).label),
            "role": "primary" if metric == experiment.primary_metric else "guardrail",
            "lower_is_better": LOWER_IS_BETTER.get(metric, False),
            "summaries": summaries,
            "lifts": lifts,
            "guardrail": _guardrail(metric, lifts),
        }
    return ExperimentResult(
        experiment=experiment,
        computed_at=timezone.now(),
        srm_p_value=None if srm is None else srm.p_value,
        srm_flagged=bool(srm and srm.flagged),
        data=data,
    )
