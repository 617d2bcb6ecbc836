"""Audit the figures customers read against their own households (``energy.savings.audit``)."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from energy.savings.audit import ALWAYS_ON_TOLERANCE, PERCENT_NEEDS_SPREAD, figures_audit
from energy.savings.plausibility import HOUSEHOLD_BILL_CAP


def _percent(value, decimals: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{decimals}f} %"


class Command(BaseCommand):
    help = (
        "Audit every premise's recommendations: claimed savings as a share of the household's "
        "use and bill, estimates beyond their cap, comparisons, and errors against the demo's "
        "ground truth. Exit code 1 when a figure customers see breaks a rule (with --check)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--today",
            default=None,
            help="the engine's local date, YYYY-MM-DD (default: today; seed_demo computes "
            "recommendations as of today)",
        )
        parser.add_argument(
            "--check", action="store_true", help="exit with code 1 when any defect is found"
        )

    def handle(self, *args, json: bool, today: str | None, check: bool, **options):
        try:
            on = date.fromisoformat(today) if today else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--today: {exc} (write YYYY-MM-DD)") from exc
        report = figures_audit(
            today=on,
            progress=lambda items: tqdm(
                items,
                desc="Auditing premises",
                unit="batch",
                disable=json or options["verbosity"] == 0,
            ),
        )
        if json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            self._print(report)
        if check and report.defects:
            raise CommandError(
                f"{report.defects} figure(s) break a plausibility rule", returncode=1
            )

    def _print(self, report) -> None:
        out = self.stdout.write
        out(
            f"Figures audit as of {report.today}: "
            f"{report.premises} premises, {report.meters} meters"
        )
        out("")
        out(
            f"{'kind':<14} {'current':>7} {'figure':>6} {'held':>5}  "
            f"{'bill share p50 / p90 / max':<27} {'claimed share p50 / p90 / max':<31} cap"
        )
        for kind, row in report.kinds.items():
            claimed, bill = row["claimed_share"], row["share_of_bill"]
            cap = row["cap"]
            out(
                f"{kind:<14} {row['current']:>7} {row['with_figure']:>6} {row['held_back']:>5}  "
                f"{_triple(bill):<27} {_triple(claimed):<31} "
                + (f"{cap['share']:.0%} of {cap['of'].replace('_', ' ')}" if cap else "—")
            )
        household = report.household_share_of_bill
        out("")
        out(
            f"A home's shown savings together, share of its annual bill: {_triple(household)} "
            f"({len(report.households_above_bill_cap)} homes at or above "
            f"{_percent(HOUSEHOLD_BILL_CAP, 0)})"
        )
        for kind, worst in report.largest_percent.items():
            out(
                f"Largest percentage shown ({kind}): {worst['percent']:.0f} % "
                f"(premise {worst['premise']})"
            )
        out(f"Estimates held back as beyond their cap: {len(report.held_back)}")
        for item in report.held_back:
            out(
                f"  premise {item['premise']} meter {item['meter']} {item['kind']}: "
                f"{_percent(item['claimed_share'])}"
            )
        truth = report.truth
        if truth:
            out("")
            out(f"Against the demo's ground truth ({truth['households']} households):")
            always_on = truth["always_on"]
            out(
                f"  always-on use: {always_on.get('within_25_percent', 0)} "
                f"of {always_on.get('n', 0)} "
                f"within ±{_percent(ALWAYS_ON_TOLERANCE, 0)} "
                f"({_percent(always_on.get('share_within_25_percent'))}); "
                f"|error| median {_percent(always_on.get('median'))}, "
                f"max {_percent(always_on.get('max'))}"
            )
            fuel = truth["heating_fuel"]
            out(f"  heating fuel inferred right: {fuel['right']} of {fuel['of']}")
            claim = truth["standby_claim"]
            if claim.get("n"):
                out(
                    f"  standby saving claimed ÷ true standby: median {claim['median']:.2f}, "
                    f"max {claim['max']:.2f}; {claim['beyond_true_standby']} of {claim['n']} "
                    "claims more than the household's true standby"
                )
            for name, label in (
                ("heating_slope", "heating slope"),
                ("electricity_base_load", "electricity base load"),
            ):
                row = truth[name]
                out(
                    f"  {label}: |error| median {_percent(row.get('median'))}, "
                    f"p90 {_percent(row.get('p90'))} (n={row.get('n', 0)})"
                )
        out("")
        problems = {
            "shown beyond its cap": report.shown_beyond_cap,
            f"home's savings at or above {_percent(HOUSEHOLD_BILL_CAP, 0)} of its bill": (
                report.households_above_bill_cap
            ),
            "cohort mixing heating fuels": report.fuel_mixing,
            f"percentage above {PERCENT_NEEDS_SPREAD:.0f} % without the cohort's spread": (
                report.percent_without_spread
            ),
        }
        for label, items in problems.items():
            out(f"Defects, {label}: {len(items)}")
            for item in items[:20]:
                out(f"  {item}")


def _triple(row: dict) -> str:
    if not row.get("n"):
        return "—"
    return f"{_percent(row['median'])} / {_percent(row['p90'])} / {_percent(row['max'])}"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
