"""``figures_audit``: are the figures customers read plausible for their own households?

Over every premise: the distribution of each kind's claimed saving as a share of the meter's
annual use and of the household's annual bill, every estimate the engine held back as beyond
its cap, any shown figure beyond its cap (a defect), each home's shown savings together as a
share of its bill, comparisons that mix heating fuels or show a large percentage without the
cohort's spread, and, where ``seed_demo``'s ground truth exists (``DemoHousehold``), each
measurement's error against the truth.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from energy.models import DemoHousehold, Premise
from energy.savings import plausibility, recommend
from energy.savings.fuel import heating_meter_commodity
from energy.savings.generate import BATCH_PREMISES, climate_load, meter_facts_load
from energy.savings.models import Recommendation

# A customer-facing percentage above this needs the cohort's spread beside it.
PERCENT_NEEDS_SPREAD = 300.0
# The goal for always-on (standby) measurements against the demo's truth.
ALWAYS_ON_TOLERANCE = 0.25

_SPREAD_KEYS = {
    recommend.SIMILAR_HOMES: ("percent_more", "cohort_p25_value", "cohort_p75_value"),
    recommend.HEATING: ("percent_above", "cohort_p25_per_hdd_100m2", "cohort_p75_per_hdd_100m2"),
}


def _distribution(values: list[float]) -> dict:
    array = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if array.size == 0:
        return {"n": 0}
    return {
        "n": int(array.size),
        "median": float(np.median(array)),
        "p90": float(np.percentile(array, 90)),
        "max": float(array.max()),
    }


@dataclass
class AuditReport:
    today: date
    premises: int = 0
    meters: int = 0
    kinds: dict = field(default_factory=dict)
    held_back: list = field(default_factory=list)  # estimates beyond their cap, not shown
    shown_beyond_cap: list = field(default_factory=list)  # defects
    household_share_of_bill: dict = field(default_factory=dict)
    households_above_bill_cap: list = field(default_factory=list)
    fuel_mixing: list = field(default_factory=list)  # defects
    percent_without_spread: list = field(default_factory=list)  # defects
    largest_percent: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)

    @property
    def defects(self) -> int:
        return (
            len(self.shown_beyond_cap)
            + len(self.households_above_bill_cap)
            + len(self.fuel_mixing)
            + len(self.percent_without_spread)
        )

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "premises": self.premises,
            "meters": self.meters,
            "kinds": self.kinds,
            "held_back": self.held_back,
            "shown_beyond_cap": self.shown_beyond_cap,
            "household_share_of_bill": self.household_share_of_bill,
            "households_above_bill_cap": self.households_above_bill_cap,
            "fuel_mixing": self.fuel_mixing,
            "percent_without_spread": self.percent_without_spread,
            "largest_percent": self.largest_percent,
            "truth": self.truth,
            "defects": self.defects,
        }


def _recommendations_audit(report: AuditReport, recommendations: list[Recommendation]) -> None:
    use_shares, bill_shares, yen = defaultdict(list), defaultdict(list), defaultdict(list)
    # The share of what the kind's cap is of (a heating saving's share of the heating use, not
    # of the whole year): the figure to read beside the cap.
    claimed_shares = defaultdict(list)
    household_yen: dict[int, float] = defaultdict(float)
    household_bill: dict[int, float | None] = {}
    counts = defaultdict(lambda: {"current": 0, "with_figure": 0, "held_back": 0})
    for r in recommendations:
        basis = r.basis or {}
        check = basis.get("plausibility") or {}
        cap = check.get("cap") or {}
        where = {"premise": r.premise_id, "meter": r.meter_id, "kind": r.kind}
        counts[r.kind]["current"] += 1
        if cap.get("exceeded"):
            counts[r.kind]["held_back"] += 1
            report.held_back.append({**where, "claimed_share": cap.get("claimed_share")})
        shown = r.saving_jpy is not None or (r.saving_per_year or 0) > 0
        if shown and r.kind not in (recommend.HIGH_USAGE, recommend.BILL_FORECAST):
            counts[r.kind]["with_figure"] += 1
            if (r.saving_per_year or 0) > 0:  # peak shift moves use, it claims no kWh
                use_shares[r.kind].append(check.get("share_of_annual_use"))
            bill_shares[r.kind].append(check.get("share_of_bill"))
            yen[r.kind].append(r.saving_jpy)
            household_yen[r.premise_id] += r.saving_jpy or 0.0
            limit = plausibility.CAPS.get(r.kind)
            if limit is not None:
                claimed_shares[r.kind].append(cap.get("claimed_share"))
            if limit is not None and not (
                cap.get("claimed_share") is not None and cap["claimed_share"] <= limit.share
            ):
                report.shown_beyond_cap.append({**where, "claimed_share": cap.get("claimed_share")})
        if check.get("household_bill_jpy") is not None:
            household_bill[r.premise_id] = check["household_bill_jpy"]
        if r.kind in _SPREAD_KEYS:
            percent_key, *spread_keys = _SPREAD_KEYS[r.kind]
            percent = basis.get(percent_key)
            if percent is not None:
                best = report.largest_percent.get(r.kind)
                if best is None or percent > best["percent"]:
                    report.largest_percent[r.kind] = {**where, "percent": percent}
                if percent > PERCENT_NEEDS_SPREAD and any(
                    basis.get(k) is None for k in spread_keys
                ):
                    report.percent_without_spread.append({**where, "percent": percent})
        cohort = basis.get("cohort") or {}
        if cohort and cohort.get("heating_fuel") != basis.get("heating_fuel"):
            report.fuel_mixing.append(
                {**where, "home": basis.get("heating_fuel"), "cohort": cohort.get("heating_fuel")}
            )
        if r.kind == recommend.HEATING and heating_meter_commodity(
            basis.get("heating_fuel", "")
        ) != ("electricity" if r.unit == "kWh" else "gas"):
            report.fuel_mixing.append({**where, "home": basis.get("heating_fuel"), "meter": r.unit})
    report.kinds = {
        kind: {
            **counts[kind],
            "share_of_annual_use": _distribution(use_shares[kind]),
            "claimed_share": _distribution(claimed_shares[kind]),
            "share_of_bill": _distribution(bill_shares[kind]),
            "saving_jpy": _distribution(yen[kind]),
            "cap": (
                {"share": plausibility.CAPS[kind].share, "of": plausibility.CAPS[kind].of}
                if kind in plausibility.CAPS
                else None
            ),
        }
        for kind in sorted(counts)
    }
    shares = []
    for premise_id, total in household_yen.items():
        bill = household_bill.get(premise_id)
        if bill:
            shares.append(total / bill)
            if total / bill >= plausibility.HOUSEHOLD_BILL_CAP:
                report.households_above_bill_cap.append(
                    {"premise": premise_id, "share_of_bill": total / bill}
                )
    report.household_share_of_bill = _distribution(shares)


def _relative_errors(pairs: list[tuple[float, float]]) -> dict:
    errors = [(estimate - truth) / truth for estimate, truth in pairs if truth > 0]
    out = _distribution([abs(e) for e in errors])
    if errors:
        out["median_signed"] = float(np.median(errors))
    return out


def _truth_audit(report: AuditReport, facts_by_premise: dict[int, list]) -> None:
    truths = {
        t.premise_id: t for t in DemoHousehold.objects.filter(premise_id__in=facts_by_premise)
    }
    if not truths:
        return
    always_on, reducible, slopes, base_loads = [], [], [], []
    fuel_right = fuel_known = 0
    fuel_wrong = []
    for premise_id, truth in truths.items():
        facts = facts_by_premise[premise_id]
        fuel = facts[0].heating_fuel
        fuel_known += 1
        if fuel == truth.heating_fuel:
            fuel_right += 1
        else:
            fuel_wrong.append({"premise": premise_id, "inferred": fuel, "true": truth.heating_fuel})
        for fact in facts:
            if fact.commodity == "electricity" and np.isfinite(fact.standby_kwh_per_day):
                always_on.append((fact.standby_kwh_per_day, truth.always_on_kwh_per_day))
            if fact.model is None:
                continue
            if fact.commodity == "electricity":
                base_loads.append((fact.model.intercept, truth.base_load_kwh_per_day))
            heating_commodity = heating_meter_commodity(truth.heating_fuel)
            if fact.commodity == heating_commodity and fact.model.beta_hdd > 0:
                true_slope = (
                    truth.electricity_kwh_per_hdd
                    if heating_commodity == "electricity"
                    else truth.gas_m3_per_hdd
                )
                slopes.append((fact.model.beta_hdd, true_slope))
    for r in Recommendation.objects.filter(
        premise_id__in=truths, kind=recommend.STANDBY, is_current=True
    ).exclude(saving_per_year=None):
        reducible.append((r.saving_per_year / 365, truths[r.premise_id].standby_kwh_per_day))
    errors = _relative_errors(always_on)
    within = sum(1 for e, t in always_on if t > 0 and abs(e - t) / t <= ALWAYS_ON_TOLERANCE)
    report.truth = {
        "households": len(truths),
        "always_on": {
            **errors,
            "within_25_percent": within,
            "share_within_25_percent": within / len(always_on) if always_on else None,
        },
        # The claim is half the gap to efficient homes, not an estimate of the standby itself:
        # what matters is that it never promises more than the household's true standby.
        "standby_claim": {
            **_distribution([claim / true for claim, true in reducible if true > 0]),
            "beyond_true_standby": sum(1 for claim, true in reducible if claim > true),
        },
        "heating_fuel": {
            "right": fuel_right,
            "of": fuel_known,
            "wrong": fuel_wrong,
        },
        "heating_slope": _relative_errors(slopes),
        "electricity_base_load": _relative_errors(base_loads),
    }


def figures_audit(*, today: date, progress: Callable[[Iterator], Iterator] = iter) -> AuditReport:
    """Audit every premise's current figures as of ``today`` (the engine's local date)."""
    report = AuditReport(today=today)
    premise_ids = list(Premise.objects.order_by("pk").values_list("pk", flat=True))
    report.premises = len(premise_ids)
    climate = climate_load(today=today)
    facts_by_premise: dict[int, list] = defaultdict(list)
    chunks = [
        premise_ids[i : i + BATCH_PREMISES] for i in range(0, len(premise_ids), BATCH_PREMISES)
    ]
    for chunk in progress(chunks):
        for fact in meter_facts_load(premise_ids=chunk, today=today, climate=climate):
            facts_by_premise[fact.premise_id].append(fact)
            report.meters += 1
    _recommendations_audit(
        report,
        list(
            Recommendation.objects.filter(is_current=True).only(
                "premise_id", "meter_id", "kind", "unit", "saving_per_year", "saving_jpy", "basis"
            )
        ),
    )
    _truth_audit(report, facts_by_premise)
    return report
