"""How close the CalTRACK billing method comes to a known saving on simulated monthly bills.

    make bench-billing-accuracy     (or: .venv/bin/python bench/savings_billing_accuracy.py)
    .venv/bin/python bench/savings_billing_accuracy.py --seeds 300 --quiet

For each seed and commodity, ``bills_simulate`` draws a Sapporo-like climate, a household and
its bills with a 10 % reduction from the intervention on (every fifth seed has an estimated
read); ``billing_savings_measure`` measures it. Prints each meter's truth, estimate, error
and reported 90 % uncertainty, then the mean absolute, mean signed and largest error and the
time one meter takes (reading the bills, cleaning, fitting, predicting). Needs no database.
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

from energy.savings.billing import billing_savings_measure
from energy.savings.caltrack import DataInsufficient
from energy.savings.simulate_bills import bills_simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--reduction", type=float, default=0.10)
    parser.add_argument("--commodity", choices=["electricity", "gas", "both"], default="both")
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    args = parser.parse_args()
    commodities = ["electricity", "gas"] if args.commodity == "both" else [args.commodity]

    if not args.quiet:
        print(
            f"{'seed':>4} {'meter':<11} {'model':<9} {'P':>2} {'Q':>2} {'truth':>6} "
            f"{'estimate':>8} {'error pp':>8} {'±90% pp':>7} {'perfect pp':>10} {'ms':>5}"
        )
    summary = {}
    for commodity in commodities:
        errors, perfect, inside, seconds, refused = [], [], [], [], []
        for seed in range(1, args.seeds + 1):
            bills = bills_simulate(
                seed=seed,
                commodity=commodity,
                reduction=args.reduction,
                estimated_read=seed % 5 == 0,
            )
            start = time.perf_counter()
            try:
                result = billing_savings_measure(**bills.measure_arguments())
            except DataInsufficient as refusal:
                refused.append(seed)
                if not args.quiet:
                    print(f"{seed:>4} {commodity:<11} refused: {refusal.reasons[0]}")
                continue
            seconds.append(time.perf_counter() - start)
            error = result.fractional_savings - bills.true_fractional_savings
            band = result.fractional_savings_uncertainty * abs(result.fractional_savings)
            errors.append(error)
            # A method knowing base and weather use exactly would still err by the behaviour.
            perfect.append(bills.perfect_model_fractional_savings - bills.true_fractional_savings)
            inside.append(abs(error) <= band)
            if not args.quiet:
                print(
                    f"{seed:>4} {commodity:<11} {result.model.kind:<9} "
                    f"{result.baseline_periods:>2} {result.reporting_periods:>2} "
                    f"{bills.true_fractional_savings:>6.3f} {result.fractional_savings:>8.3f} "
                    f"{100 * error:>+8.2f} {100 * band:>7.2f} {100 * perfect[-1]:>+10.2f} "
                    f"{1000 * seconds[-1]:>5.1f}"
                )
        summary[commodity] = (
            np.array(errors),
            np.array(perfect),
            np.array(inside),
            seconds,
            refused,
        )

    print()
    for commodity, (errors, perfect, inside, seconds, refused) in summary.items():
        ms = sorted(1000 * s for s in seconds)
        print(
            f"{commodity:<11} {_errors_summary(errors)}; truth inside the 90 % band "
            f"{inside.mean():.0%}; {statistics.median(ms):.1f} ms a meter "
            f"(p99 {ms[int(0.99 * (len(ms) - 1))]:.1f} ms)"
            + (f"; refused seeds {refused}" if refused else "")
        )
        print(f"{'':<11} a perfect model: mean |error| {100 * np.abs(perfect).mean():.2f} pp")
    if len(summary) > 1:
        errors = np.concatenate([errors for errors, *_ in summary.values()])
        print(f"{'together':<11} {_errors_summary(errors)}")


def _errors_summary(errors: np.ndarray) -> str:
    return (
        f"{len(errors)} meters: mean |error| {100 * np.abs(errors).mean():.2f} pp, "
        f"mean error {100 * errors.mean():+.2f} pp, max |error| {100 * np.abs(errors).max():.2f} pp"
    )


if __name__ == "__main__":
    main()
