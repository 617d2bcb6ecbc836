"""CalTRACK billing method: each bill's usage per day against its mean degree days per day.

Follows the CalTRACK methods, version 2.0 (openeemeter/caltrack ``docs/methods.rst``), for
monthly bills, and shares the daily method's grid, qualification and closed-form fit
(``energy/savings/caltrack.py``):

- 2.2.3.1, 3.5.5.1: an estimated read is combined with the next period, up to 70 days; its
  days count as missing for sufficiency.
- 2.2.3.4, 2.2.3.5: in the baseline, off-cycle periods (under 25 days) and periods over 35
  days are dropped. 3.5.5.3, 3.5.5.4: in the reporting period an off-cycle period is combined
  with the next one up to 70 days, and one over 35 days is counted and flagged.
- 2.2.3.2, 3.5.5.2: the daily temperatures must cover 90 % of each period.
- 2.2.1: the baseline is the 365 days before the intervention, at most 37 of them missing.
- 3.3: UPD_p = usage / days; HDD_p and CDD_p are the means over the period's days of each
  day's degree days (averaged over the days with a temperature).
- 3.2.2.2.2: a balance point needs 20 degree days per year (3.2.2.2.1's 10 non-zero days do
  not apply to billing data).
- 3.4.2: weighted least squares, each period weighted by its days.
- 3.6.1: AEU_p = n_p · (predicted UPD_p − UPD_p), over whole reporting periods.
- 4.3.2.4: fractional savings uncertainty with Sun and Baltazar's billing coefficients.

A period that spans the intervention belongs to neither the baseline nor the reporting period
(1.4.4, 2.2.5: data spanning beyond a period are not used); its days before the intervention
are not counted as missing, and neither are those of a period cut by the start of the
baseline year: they have a read, it only reaches beyond the year.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from energy.savings.caltrack import (
    BALANCE_POINTS_C,
    BASELINE_DAYS,
    ELECTRICITY,
    GAS,
    MAX_MISSING_BASELINE_DAYS,
    DataInsufficient,
    candidates_select,
    enough_degree_days,
)
from energy.savings.mv import (
    CONFIDENCE,
    DAYS_PER_MONTH,
    SUN_BALTAZAR_BILLING,
    finite_or_none,
    savings_figures,
    savings_uncertainty_relative,
)

MIN_PERIOD_DAYS = 25  # CalTRACK 2.2.3.4: shorter reads are off-cycle
MAX_PERIOD_DAYS = 35  # CalTRACK 2.2.3.5, pseudo-monthly cycles
MAX_COMBINED_DAYS = 70  # CalTRACK 2.2.3.1, 3.5.5.1, 3.5.5.3
MIN_TEMPERATURE_COVERAGE = 0.9  # CalTRACK 2.2.3.2, 3.5.5.2
# Our floor (CalTRACK sets none): the fewest periods of at most 35 days that 2.2.1.2 can
# leave in a year, (365 - 37 missing - 2 x 34 days of the periods cut by its ends) / 35.
MIN_BASELINE_PERIODS = 8
MIN_REPORTING_PERIODS = 1  # a bill is the unit a household knows; its FSU says how sure


@dataclass(frozen=True)
class _Periods:
    """Billing periods in order: first and last day (inclusive), usage, estimated days."""

    starts: np.ndarray  # datetime64[D]
    ends: np.ndarray  # datetime64[D], the last day of the period
    usage: np.ndarray
    estimated_days: np.ndarray  # days of estimated reads combined into the period (2.2.3.1)

    @property
    def days(self) -> np.ndarray:
        return (self.ends - self.starts).astype(int) + 1

    def __len__(self) -> int:
        return len(self.starts)

    def take(self, index) -> "_Periods":
        return _Periods(
            self.starts[index], self.ends[index], self.usage[index], self.estimated_days[index]
        )


def _span(start: np.datetime64, end: np.datetime64) -> str:
    return f"{start} to {end}"


def _periods_read(
    *,
    period_starts: np.ndarray,
    period_ends: np.ndarray,
    usage: np.ndarray,
    estimated: np.ndarray | None,
) -> tuple[_Periods, list[str]]:
    """The bills in order, estimated reads combined with the next (2.2.3.1); and notes."""
    starts = np.asarray(period_starts, dtype="datetime64[D]")
    ends = np.asarray(period_ends, dtype="datetime64[D]")
    usage = np.asarray(usage, dtype=float)
    estimated = (
        np.zeros(len(starts), dtype=bool) if estimated is None else np.asarray(estimated, bool)
    )
    if not (starts.ndim == 1 and starts.shape == ends.shape == usage.shape == estimated.shape):
        raise ValueError("period_starts, period_ends, usage and estimated must have one length")
    order = np.argsort(starts, kind="stable")
    starts, ends, usage, estimated = starts[order], ends[order], usage[order], estimated[order]

    reasons = [
        f"the billing period starting {start} ends on {end}, before it starts; "
        "CalTRACK removes impossible dates (2.3.1)"
        for start, end in zip(starts, ends, strict=True)
        if end < start
    ]
    overlapping = np.flatnonzero(starts[1:] <= ends[:-1])
    reasons += [
        f"the billing periods {_span(starts[i], ends[i])} and {_span(starts[i + 1], ends[i + 1])} "
        "overlap; CalTRACK needs one series, so conflicting bills (two meters, or a corrected "
        "bill beside the original?) are refused for review (2.3.2)"
        for i in overlapping
    ]
    if reasons:
        raise DataInsufficient(reasons)

    notes: list[str] = []
    rows: list[tuple] = []  # (first day, last day, usage, estimated days)
    pending: tuple | None = None  # the estimated reads so far, as one read awaiting the next
    for start, end, value, is_estimated in zip(starts, ends, usage, estimated, strict=True):
        if pending and (
            start != pending[1] + 1 or (end - pending[0]).astype(int) + 1 > MAX_COMBINED_DAYS
        ):
            notes.append(
                f"the estimated read {_span(pending[0], pending[1])} cannot be combined with "
                f"the next period ({_span(start, end)}) within {MAX_COMBINED_DAYS} days and is "
                "dropped (CalTRACK 2.2.3.1)"
            )
            pending = None
        if pending:
            first, _, earlier_usage, estimated_days = pending
        else:
            first, earlier_usage, estimated_days = start, 0.0, 0
        if is_estimated and np.isfinite(value):
            days = int((end - start).astype(int)) + 1
            pending = (first, end, earlier_usage + value, estimated_days + days)
            continue
        rows.append((first, end, earlier_usage + value, estimated_days))
        if pending:
            notes.append(
                f"the estimated read {_span(first, pending[1])} is combined with the next "
                f"period into {_span(first, end)} (CalTRACK 2.2.3.1)"
            )
        pending = None
    if pending:
        notes.append(
            f"the estimated read {_span(pending[0], pending[1])} has no following read to be "
            "combined with and is dropped (CalTRACK 2.2.3.1)"
        )
    periods = _Periods(
        np.array([row[0] for row in rows], dtype="datetime64[D]"),
        np.array([row[1] for row in rows], dtype="datetime64[D]"),
        np.array([row[2] for row in rows], dtype=float),
        np.array([row[3] for row in rows], dtype=int),
    )
    return periods, notes


def period_degree_days(
    *,
    period_starts: np.ndarray,
    period_ends: np.ndarray,
    temperature_dates: np.ndarray,
    temperature_c: np.ndarray,
    balance_points_c: np.ndarray = BALANCE_POINTS_C,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each period's temperature coverage and mean HDD and CDD per day at each balance point.

    CalTRACK 3.3.4, 3.3.5: the mean over the period's days of each day's degree days, over the
    days that have a temperature (the same as filling a missing day with the period's mean).
    Returns (coverage (periods,), hdd (periods, balance points), cdd (likewise)); the degree
    days are NaN for a period without any temperature.
    """
    starts = np.asarray(period_starts, dtype="datetime64[D]")
    ends = np.asarray(period_ends, dtype="datetime64[D]")
    balance = np.asarray(balance_points_c, dtype=float)
    if not len(starts):
        empty = np.empty((0, len(balance)))
        return np.empty(0), empty, empty.copy()
    first = starts.min()
    temperature = _daily_temperatures(
        temperature_dates=temperature_dates,
        temperature_c=temperature_c,
        first=first,
        days=int((ends.max() - first).astype(int)) + 1,
    )
    known = np.isfinite(temperature)
    filled = np.where(known, temperature, 0.0)[:, None]
    hdd = np.where(known[:, None], np.maximum(balance[None, :] - filled, 0.0), 0.0)
    cdd = np.where(known[:, None], np.maximum(filled - balance[None, :], 0.0), 0.0)
    lo = (starts - first).astype(int)
    hi = (ends - first).astype(int) + 1

    def period_sums(values: np.ndarray) -> np.ndarray:
        cumulative = np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, 0)])
        return cumulative[hi] - cumulative[lo]

    known_days = period_sums(known.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (
            known_days / (hi - lo),
            period_sums(hdd) / known_days[:, None],
            period_sums(cdd) / known_days[:, None],
        )


def _daily_temperatures(
    *, temperature_dates: np.ndarray, temperature_c: np.ndarray, first: np.datetime64, days: int
) -> np.ndarray:
    """The temperature of each day from ``first`` for ``days`` days (NaN where none)."""
    dates = np.asarray(temperature_dates, dtype="datetime64[D]")
    values = np.asarray(temperature_c, dtype=float)
    if dates.shape != values.shape or dates.ndim != 1:
        raise ValueError("temperature_dates and temperature_c must be 1-D of the same length")
    if len(np.unique(dates)) != len(dates):
        raise ValueError("temperature_dates must not repeat a day")
    index = (dates - first).astype(int)
    inside = (index >= 0) & (index < days)
    temperature = np.full(days, np.nan)
    temperature[index[inside]] = values[inside]
    return temperature


@dataclass(frozen=True)
class BillingModel:
    """A fitted model of bills: usage per day = intercept + beta_hdd · HDD_p + beta_cdd · CDD_p.

    The intercept is per day, the slopes per °C·day, HDD_p and CDD_p a period's mean degree
    days per day. R² and adjusted R² are weighted by the periods' days, as the fit; CV(RMSE)
    and NMBE are of the period totals with P − c degrees of freedom (4.3.2.2).
    """

    kind: str  # intercept_only | hdd_only | cdd_only | hdd_cdd
    commodity: str
    intercept: float
    beta_hdd: float
    beta_cdd: float
    heating_balance_c: float | None
    cooling_balance_c: float | None
    r_squared: float
    adj_r_squared: float
    cvrmse: float
    nmbe: float
    n_periods: int
    n_days: int
    mean_usage_per_day: float
    autocorr_resid: float  # lag-1 autocorrelation of the periods' residuals
    p_value_hdd: float | None = None
    p_value_cdd: float | None = None
    notes: tuple[str, ...] = ()  # periods dropped or combined on the way to the fit

    @property
    def n_params(self) -> int:
        """Explanatory variables, not counting the intercept (CalTRACK's c)."""
        return {"intercept_only": 0, "hdd_only": 1, "cdd_only": 1, "hdd_cdd": 2}[self.kind]

    @property
    def degrees_of_freedom(self) -> int:
        return self.n_periods - self.n_params - 1

    def usage_per_day(self, hdd: np.ndarray, cdd: np.ndarray) -> np.ndarray:
        """Predicted usage per day at these mean degree days per day (at the balance points)."""
        return self.intercept + self.beta_hdd * hdd + self.beta_cdd * cdd

    def predict(
        self,
        *,
        period_starts: np.ndarray,
        period_ends: np.ndarray,
        temperature_dates: np.ndarray,
        temperature_c: np.ndarray,
    ) -> np.ndarray:
        """Each period's predicted use (NaN where temperatures cover under 90 % of it)."""
        starts = np.asarray(period_starts, dtype="datetime64[D]")
        ends = np.asarray(period_ends, dtype="datetime64[D]")
        coverage, hdd, cdd = period_degree_days(
            period_starts=starts,
            period_ends=ends,
            temperature_dates=temperature_dates,
            temperature_c=temperature_c,
            balance_points_c=np.array(
                [self.heating_balance_c or 0.0, self.cooling_balance_c or 0.0]
            ),
        )
        days = (ends - starts).astype(int) + 1
        predicted = days * self.usage_per_day(hdd[:, 0], cdd[:, 1])
        return np.where(coverage >= MIN_TEMPERATURE_COVERAGE, predicted, np.nan)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "commodity": self.commodity,
            "intercept": self.intercept,
            "beta_hdd": self.beta_hdd,
            "beta_cdd": self.beta_cdd,
            "heating_balance_c": _rounded(self.heating_balance_c),
            "cooling_balance_c": _rounded(self.cooling_balance_c),
            "p_value_hdd": self.p_value_hdd,
            "p_value_cdd": self.p_value_cdd,
            "r_squared": self.r_squared,
            "adj_r_squared": self.adj_r_squared,
            "cvrmse": self.cvrmse,
            "nmbe": self.nmbe,
            "n_periods": self.n_periods,
            "n_days": self.n_days,
            "mean_usage_per_day": self.mean_usage_per_day,
            "autocorr_resid": self.autocorr_resid,
            "notes": list(self.notes),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _unusable(
    periods: _Periods, coverage: np.ndarray, *, commodity: str, reporting: bool
) -> list[str | None]:
    """Why each period cannot be used (None where it can), by the baseline or reporting rules."""
    reasons: list[str | None] = []
    for start, end, days, value, estimated_days, share in zip(
        periods.starts,
        periods.ends,
        periods.days,
        periods.usage,
        periods.estimated_days,
        coverage,
        strict=True,
    ):
        span = f"the period {_span(start, end)} ({days} days)"
        longest = MAX_COMBINED_DAYS if estimated_days else MAX_PERIOD_DAYS
        if not np.isfinite(value):
            reason = f"{span} has no usage and is left out (CalTRACK 2.2.1.3, 3.5.2)"
        elif commodity == ELECTRICITY and value == 0:
            reason = f"{span} has zero electricity use, which counts as missing (CalTRACK 2.2.1.4)"
        elif value < 0:
            reason = f"{span} has negative use (net metering?) and is left out for review (2.3.5)"
        elif days < MIN_PERIOD_DAYS:
            reason = (
                f"{span} is an off-cycle read, under {MIN_PERIOD_DAYS} days, and is dropped "
                + ("(CalTRACK 3.5.5.3)" if reporting else "(CalTRACK 2.2.3.4)")
            )
        elif days > longest and not reporting:
            reason = f"{span} spans more than {longest} days and is dropped (CalTRACK 2.2.3.5)"
        elif not share >= MIN_TEMPERATURE_COVERAGE:
            known = round(float(np.nan_to_num(share)) * days)
            reason = (
                f"{span} has temperatures for {known} of its days; CalTRACK needs "
                f"{MIN_TEMPERATURE_COVERAGE:.0%} of them (2.2.3.2, 3.5.5.2), so it is left out"
            )
        else:
            reason = None
        reasons.append(reason)
    return reasons


@dataclass(frozen=True)
class _Baseline:
    model: BillingModel
    start: date  # the first fitted period's first day
    end: date  # the last fitted period's last day
    periods: int


def _baseline_fit(
    *,
    periods: _Periods,
    notes: list[str],
    temperature_dates: np.ndarray,
    temperature_c: np.ndarray,
    commodity: str,
    baseline_end: np.datetime64,
) -> _Baseline:
    """The CalTRACK billing model of the bills within the 365 days to ``baseline_end``."""
    if commodity not in (ELECTRICITY, GAS):
        raise DataInsufficient([f"unknown commodity {commodity!r}: expected electricity or gas"])
    window_start = baseline_end - (BASELINE_DAYS - 1)
    touching = periods.take((periods.ends >= window_start) & (periods.starts <= baseline_end))
    coverage, hdd, cdd = period_degree_days(
        period_starts=touching.starts,
        period_ends=touching.ends,
        temperature_dates=temperature_dates,
        temperature_c=temperature_c,
    )
    unusable = _unusable(touching, coverage, commodity=commodity, reporting=False)
    usable = np.array([reason is None for reason in unusable], dtype=bool)
    within = (touching.starts >= window_start) & (touching.ends <= baseline_end)
    dropped = [reason for reason, inside in zip(unusable, within, strict=True) if reason and inside]

    # Days with a usable read, not an estimated one (2.2.3.1), count as present (2.2.1.2).
    present = np.zeros(BASELINE_DAYS, dtype=bool)
    for start, end, estimated_days in zip(
        touching.starts[usable], touching.ends[usable], touching.estimated_days[usable], strict=True
    ):
        lo = max(int((start - window_start).astype(int)) + estimated_days, 0)
        present[lo : int((end - window_start).astype(int)) + 1] = True
    fitted = touching.take(usable & within)
    reasons = []
    if not len(periods) or periods.starts.min() > window_start:
        first = periods.starts.min() if len(periods) else "no day"
        reasons.append(
            f"the bills start on {first}; a baseline ending {baseline_end} needs bills from "
            f"{window_start} ({BASELINE_DAYS} days, CalTRACK 2.2.1.1)"
        )
    missing = int(BASELINE_DAYS - present.sum())
    if missing > MAX_MISSING_BASELINE_DAYS:
        reasons.append(
            f"{missing} of the {BASELINE_DAYS} baseline days from {window_start} to "
            f"{baseline_end} have no usable read (no bill, an estimated read or a dropped "
            f"period); CalTRACK allows at most {MAX_MISSING_BASELINE_DAYS} (2.2.1.2, 2.2.3.1)"
        )
    if len(fitted) < MIN_BASELINE_PERIODS:
        reasons.append(
            f"only {len(fitted)} usable billing periods lie wholly within the baseline from "
            f"{window_start} to {baseline_end}; the billing model needs at least "
            f"{MIN_BASELINE_PERIODS}"
        )
    if reasons:
        raise DataInsufficient(reasons + dropped)

    hdd, cdd = hdd[usable & within], cdd[usable & within]
    days = fitted.days.astype(float)
    y = fitted.usage / days  # CalTRACK 3.3.3
    if fitted.usage.sum() <= 0:
        raise DataInsufficient(["the baseline bills' mean usage is not positive"])
    best = candidates_select(
        usage_per_day=y,
        weights=days,
        hdd=hdd,
        cdd=cdd,
        hdd_ok=enough_degree_days(hdd, days),
        cdd_ok=enough_degree_days(cdd, days) & (commodity == ELECTRICITY),
    )
    model = _model_from(
        best, commodity=commodity, y=y, days=days, hdd=hdd, cdd=cdd, notes=notes + dropped
    )
    return _Baseline(
        model=model,
        start=fitted.starts[0].astype(date),
        end=fitted.ends[-1].astype(date),
        periods=len(fitted),
    )


def _model_from(
    best: dict,
    *,
    commodity: str,
    y: np.ndarray,
    days: np.ndarray,
    hdd: np.ndarray,
    cdd: np.ndarray,
    notes: list[str],
) -> BillingModel:
    kind = best["kind"]
    n = len(y)
    heating_c = cooling_c = None
    p_hdd = p_cdd = None
    beta_hdd = beta_cdd = 0.0
    x_hdd = x_cdd = np.zeros(n)
    if kind in ("hdd_only", "hdd_cdd"):
        index = int(best["balance_index"][0])
        heating_c, x_hdd = float(BALANCE_POINTS_C[index]), hdd[:, index]
        beta_hdd, p_hdd = float(best["slopes"][0]), float(best["p_values"][0])
    if kind in ("cdd_only", "hdd_cdd"):
        index = int(best["balance_index"][-1])
        cooling_c, x_cdd = float(BALANCE_POINTS_C[index]), cdd[:, index]
        beta_cdd, p_cdd = float(best["slopes"][-1]), float(best["p_values"][-1])
    mean = float(days @ y / days.sum())
    intercept = mean - beta_hdd * float(days @ x_hdd / days.sum())
    intercept -= beta_cdd * float(days @ x_cdd / days.sum())
    residuals = y - (intercept + beta_hdd * x_hdd + beta_cdd * x_cdd)  # per day
    c = int(heating_c is not None) + int(cooling_c is not None)
    ss_tot = float(days @ (y - mean) ** 2)
    ss_res = float(days @ residuals**2)
    total_residuals = days * residuals
    mean_total = float((days * y).mean())
    autocorr = 0.0
    if n > 2 and residuals[:-1].std() > 0 and residuals[1:].std() > 0:
        autocorr = float(np.corrcoef(residuals[:-1], residuals[1:])[0, 1])
    return BillingModel(
        kind=kind,
        commodity=commodity,
        intercept=intercept,
        beta_hdd=beta_hdd,
        beta_cdd=beta_cdd,
        heating_balance_c=heating_c,
        cooling_balance_c=cooling_c,
        r_squared=1 - ss_res / ss_tot if ss_tot > 0 else 0.0,
        adj_r_squared=best["adj_r_squared"],
        cvrmse=float(np.sqrt(total_residuals @ total_residuals / (n - c)) / mean_total),
        # Zero up to rounding: weighted by days, the residuals of the totals sum to zero.
        nmbe=float(total_residuals.sum() / ((n - c) * mean_total)),
        n_periods=n,
        n_days=int(days.sum()),
        mean_usage_per_day=mean,
        autocorr_resid=autocorr,
        p_value_hdd=p_hdd,
        p_value_cdd=p_cdd,
        notes=tuple(notes),
    )


def billing_baseline_fit(
    *,
    period_starts: np.ndarray,
    period_ends: np.ndarray,
    usage: np.ndarray,
    temperature_dates: np.ndarray,
    temperature_c: np.ndarray,
    commodity: str,
    estimated: np.ndarray | None = None,
    baseline_end: date | None = None,
) -> BillingModel:
    """Fit the CalTRACK billing model to the bills within the 365 days to ``baseline_end``.

    ``baseline_end`` defaults to the last bill's last day. Periods are numpy datetime64[D]
    first and last days (inclusive); NaN usage or temperature is missing. Raises
    DataInsufficient with one reason per rule the bills fail.
    """
    periods, notes = _periods_read(
        period_starts=period_starts, period_ends=period_ends, usage=usage, estimated=estimated
    )
    if not len(periods):
        raise DataInsufficient(["there are no bills"])
    end = periods.ends.max() if baseline_end is None else np.datetime64(baseline_end, "D")
    return _baseline_fit(
        periods=periods,
        notes=notes,
        temperature_dates=temperature_dates,
        temperature_c=temperature_c,
        commodity=commodity,
        baseline_end=end,
    ).model


@dataclass(frozen=True)
class BillingMeasuredSavings:
    """Avoided use over whole reporting bills against a CalTRACK billing baseline."""

    model: BillingModel
    intervention: date
    baseline_start: date  # first day of the first fitted period
    baseline_end: date  # last day of the last fitted period
    reporting_start: date  # first day of the first counted reporting period
    reporting_end: date  # last day of the last counted reporting period
    baseline_periods: int
    reporting_periods: int
    reporting_days: int
    predicted: float
    observed: float
    avoided: float
    fractional_savings: float
    fractional_savings_uncertainty: float
    avoided_uncertainty: float
    confidence: float = CONFIDENCE
    notes: tuple[str, ...] = ()  # every period dropped, combined, left out or flagged

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": "billing",
            "intervention": self.intervention.isoformat(),
            "baseline_start": self.baseline_start.isoformat(),
            "baseline_end": self.baseline_end.isoformat(),
            "reporting_start": self.reporting_start.isoformat(),
            "reporting_end": self.reporting_end.isoformat(),
            "baseline_periods": self.baseline_periods,
            "reporting_periods": self.reporting_periods,
            "reporting_days": self.reporting_days,
            "predicted": self.predicted,
            "observed": self.observed,
            "avoided": self.avoided,
            "avoided_uncertainty": self.avoided_uncertainty,
            "fractional_savings": finite_or_none(self.fractional_savings),
            "fractional_savings_uncertainty": finite_or_none(self.fractional_savings_uncertainty),
            "confidence": self.confidence,
            "cvrmse": self.model.cvrmse,
            "nmbe": self.model.nmbe,
            "model": self.model.as_dict(),
            "notes": list(self.notes),
        }


def _reporting_periods(periods: _Periods) -> tuple[_Periods, list[str]]:
    """CalTRACK 3.5.5.3: an off-cycle reporting read is combined with the next, up to 70 days."""
    notes: list[str] = []
    keep = np.ones(len(periods), dtype=bool)
    starts, usage = periods.starts.copy(), periods.usage.copy()
    estimated_days = periods.estimated_days.copy()
    for i in range(len(periods) - 1):
        days = int((periods.ends[i] - starts[i]).astype(int)) + 1
        combined = int((periods.ends[i + 1] - starts[i]).astype(int)) + 1
        if (
            days < MIN_PERIOD_DAYS
            and periods.starts[i + 1] == periods.ends[i] + 1
            and combined <= MAX_COMBINED_DAYS
        ):
            notes.append(
                f"the off-cycle read {_span(starts[i], periods.ends[i])} ({days} days) is "
                f"combined with the next period into {_span(starts[i], periods.ends[i + 1])} "
                "(CalTRACK 3.5.5.3)"
            )
            keep[i] = False
            starts[i + 1] = starts[i]
            usage[i + 1] += usage[i]
            estimated_days[i + 1] += days
    return _Periods(starts, periods.ends, usage, estimated_days).take(keep), notes


def billing_savings_measure(
    *,
    period_starts: np.ndarray,
    period_ends: np.ndarray,
    usage: np.ndarray,
    temperature_dates: np.ndarray,
    temperature_c: np.ndarray,
    intervention: date,
    commodity: str,
    reporting_end: date | None = None,
    estimated: np.ndarray | None = None,
) -> BillingMeasuredSavings:
    """Avoided use over the whole bills since ``intervention`` against the year of bills before.

    The baseline is the bills wholly within the 365 days before the intervention; the
    reporting period is the bills starting on or after it and ending by ``reporting_end``
    (default: the last bill). A bill spanning the intervention is in neither.
    """
    periods, notes = _periods_read(
        period_starts=period_starts, period_ends=period_ends, usage=usage, estimated=estimated
    )
    day = np.datetime64(intervention, "D")
    straddling = periods.take((periods.starts < day) & (periods.ends >= day))
    notes += [
        f"the period {_span(start, end)} spans the intervention on {intervention}; it belongs "
        "to neither the baseline nor the reporting period (CalTRACK 1.4.4, 2.2.5)"
        for start, end in zip(straddling.starts, straddling.ends, strict=True)
    ]
    baseline = _baseline_fit(
        periods=periods,
        notes=notes,
        temperature_dates=temperature_dates,
        temperature_c=temperature_c,
        commodity=commodity,
        baseline_end=day - 1,
    )
    model = baseline.model
    notes = list(model.notes)

    last = np.datetime64(reporting_end, "D") if reporting_end else periods.ends.max()
    reporting, combined_notes = _reporting_periods(
        periods.take((periods.starts >= day) & (periods.ends <= last))
    )
    notes += combined_notes
    coverage, hdd, cdd = period_degree_days(
        period_starts=reporting.starts,
        period_ends=reporting.ends,
        temperature_dates=temperature_dates,
        temperature_c=temperature_c,
        balance_points_c=np.array([model.heating_balance_c or 0.0, model.cooling_balance_c or 0.0]),
    )
    unusable = _unusable(reporting, coverage, commodity=commodity, reporting=True)
    notes += [reason for reason in unusable if reason]
    counted = np.array([reason is None for reason in unusable], dtype=bool)
    notes += [
        f"the reporting period {_span(start, end)} spans {days} days, more than "
        f"{MAX_PERIOD_DAYS}; it is counted and flagged for review (CalTRACK 3.5.5.4)"
        for start, end, days in zip(
            reporting.starts[counted], reporting.ends[counted], reporting.days[counted], strict=True
        )
        if days > MAX_PERIOD_DAYS
    ]
    if counted.sum() < MIN_REPORTING_PERIODS:
        raise DataInsufficient(
            [
                f"no whole billing period with usage and temperature starts on or after the "
                f"intervention on {intervention} and ends by {last}; avoided use is measured "
                "over whole bills (CalTRACK 3.6.1)"
            ]
            + [reason for reason in unusable if reason]
        )

    days = reporting.days[counted]
    predicted_periods = days * model.usage_per_day(hdd[counted, 0], cdd[counted, 1])
    predicted = float(predicted_periods.sum())
    observed = float(reporting.usage[counted].sum())
    # Avoided use is summed over the periods (CalTRACK 3.6.1, 4.1.1): savings_figures below.
    reporting_days = int(days.sum())
    relative = savings_uncertainty_relative(
        baseline_points=model.n_periods,
        n_params=model.n_params,
        cvrmse=model.cvrmse,
        autocorr_resid=model.autocorr_resid,
        reporting_points=int(counted.sum()),
        reporting_months=reporting_days / DAYS_PER_MONTH,
        coefficients=SUN_BALTAZAR_BILLING,
    )
    return BillingMeasuredSavings(
        model=model,
        intervention=intervention,
        baseline_start=baseline.start,
        baseline_end=baseline.end,
        reporting_start=reporting.starts[counted][0].astype(date),
        reporting_end=reporting.ends[counted][-1].astype(date),
        baseline_periods=baseline.periods,
        reporting_periods=int(counted.sum()),
        reporting_days=reporting_days,
        **savings_figures(predicted=predicted, observed=observed, relative_uncertainty=relative),
        notes=tuple(notes),
    )
