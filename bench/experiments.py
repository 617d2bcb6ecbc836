"""Experiment results for 1,000,000 units: summaries, Welch and CUPED lifts, SRM.

    make bench-experiments     (or: .venv/bin/python bench/experiments.py --units 1000000)

Builds one synthetic unit table in memory (variant, post-period kWh per day, pre-period kWh
per day; 5 % of units have no pre period), then times what a results page needs from it:
split the units by variant, ``variant_summary`` per variant, ``lift_welch`` and ``lift_cuped``
of every treatment against control, ``srm_check`` on the counts. Prints the median of
``--runs`` timed runs (after one warm-up) and the figures of the last run. Needs no database:
the statistics are pure numpy/scipy.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from flags.experiments.stats import (
    Lift,
    Srm,
    Summary,
    lift_cuped,
    lift_welch,
    srm_check,
    variant_summary,
)

VARIANTS = {"control": 0.0, "tips": -0.02, "tips+ranking": -0.035}  # name: true relative effect
WEIGHTS = [1.0, 1.0, 1.0]
PRE_MISSING_SHARE = 0.05  # premises that joined too recently to have a pre period


def unit_table(rng: np.random.Generator, units: int) -> tuple[np.ndarray, ...]:
    """Variant index, post and pre kWh/day per unit; pre and post correlate at about 0.8."""
    variant = rng.choice(len(VARIANTS), size=units, p=np.array(WEIGHTS) / sum(WEIGHTS))
    household_kwh = rng.lognormal(np.log(10.0), 0.5, units)  # the premise's typical day
    pre = household_kwh * rng.lognormal(0.0, 0.2, units)
    effects = np.array(list(VARIANTS.values()))
    post = household_kwh * rng.lognormal(0.0, 0.2, units) * (1.0 + effects[variant])
    pre[rng.random(units) < PRE_MISSING_SHARE] = np.nan
    return variant, post, pre


def results(
    variant: np.ndarray, post: np.ndarray, pre: np.ndarray
) -> tuple[list[Summary], list[Lift], list[Lift], Srm]:
    order = np.argsort(variant, kind="stable")
    bounds = np.searchsorted(variant[order], np.arange(len(VARIANTS) + 1))
    arms = [order[bounds[i] : bounds[i + 1]] for i in range(len(VARIANTS))]
    posts = [post[arm] for arm in arms]
    pres = [pre[arm] for arm in arms]
    summaries = [variant_summary(values) for values in posts]
    welch = [lift_welch(posts[0], posts[i]) for i in range(1, len(arms))]
    cuped = [lift_cuped(posts[0], pres[0], posts[i], pres[i]) for i in range(1, len(arms))]
    srm = srm_check([len(arm) for arm in arms], WEIGHTS)
    return summaries, welch, cuped, srm


def percent(interval: tuple[float, float] | None) -> str:
    return "n/a" if interval is None else f"[{interval[0]:+.2%}, {interval[1]:+.2%}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    variant, post, pre = unit_table(np.random.default_rng(args.seed), args.units)
    results(variant, post, pre)  # warm-up: imports, scipy's first calls
    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        summaries, welch, cuped, srm = results(variant, post, pre)
        seconds.append(time.perf_counter() - start)

    names = list(VARIANTS)
    print(
        f"{args.units:,} units, {len(names)} variants: median {statistics.median(seconds):.3f} s "
        f"over {args.runs} runs (min {min(seconds):.3f} s, max {max(seconds):.3f} s)"
    )
    for name, summary in zip(names, summaries, strict=True):
        print(f"  {name:<13} units {summary.units:,}  mean {summary.mean:.3f}  sd {summary.sd:.3f}")
    for i, name in enumerate(names[1:]):
        w, c = welch[i], cuped[i]
        print(
            f"  {name:<13} true {VARIANTS[name]:+.2%}"
            f"  welch {w.relative:+.2%} {percent(w.relative_ci)} p={w.p_value:.2g}"
            f"  cuped {c.relative:+.2%} {percent(c.relative_ci)} p={c.p_value:.2g}"
            f" theta {c.cuped_theta:.3f}"
        )
    print(f"  SRM chi2 {srm.chi2:.2f}  p={srm.p_value:.3f}  flagged {srm.flagged}")


if __name__ == "__main__":
    main()
