"""How close measured savings come to the demo's known truth, over many seeds.

    make bench-savings-accuracy                 (or: .venv/bin/python bench/savings_accuracy.py)
    .venv/bin/python bench/savings_accuracy.py --seeds 10 --premises 12

Recreates the PostgreSQL database ``shoene_bench_savings``, and for each seed seeds the demo
(through the real ingest path), measures every intervention the generator recorded with the
CalTRACK M&V service and compares it with ``Intervention.true_saving_fraction``.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--premises", type=int, default=12)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="shoene_bench_savings")
    args = parser.parse_args()

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ.pop("REDIS_URL", None)  # tasks in-process; the ingest path is the same
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from energy.demo import demo_seed
    from energy.savings.models import Intervention
    from energy.savings.services import meter_savings_measure

    call_command("migrate", verbosity=0)
    errors, within_band = [], []
    print(
        f"{'seed':>4} {'meter':<8} {'days':>4} {'model':<9} {'truth':>6} {'measured':>8} "
        f"{'error pp':>8} {'±90% pp':>7}"
    )
    for seed in range(1, args.seeds + 1):
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE energy_reading, energy_readingrevision, energy_dailyusage, "
                "energy_intervention, energy_meter, energy_premise, energy_ingestbatch CASCADE"
            )
        demo_seed(premises=args.premises, seed=seed)
        for intervention in Intervention.objects.select_related("meter__premise__region"):
            result = meter_savings_measure(meter=intervention.meter, intervention=intervention.date)
            truth = intervention.true_saving_fraction
            error = result.fractional_savings - truth
            band = result.fractional_savings_uncertainty * abs(result.fractional_savings)
            errors.append(error)
            within_band.append(abs(error) <= band)
            print(
                f"{seed:>4} {intervention.meter.serial:<8} {result.reporting_days:>4} "
                f"{result.model.kind:<9} {truth:>6.3f} {result.fractional_savings:>8.3f} "
                f"{100 * error:>+8.2f} {100 * band:>7.2f}"
            )
    errors = np.abs(np.array(errors))
    print(
        f"\n{len(errors)} interventions over {args.seeds} seeds: "
        f"{(errors <= 0.015).mean():.0%} within ±1.5 pp, "
        f"median |error| {100 * np.median(errors):.2f} pp, max {100 * errors.max():.2f} pp; "
        f"truth inside the reported 90 % band for {np.mean(within_band):.0%}"
    )


if __name__ == "__main__":
    main()
