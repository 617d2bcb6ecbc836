"""Measured savings (M&V) after an intervention, by the CalTRACK daily method.

The baseline model is fitted to the 365 days before the intervention (CalTRACK 3.1.3);
avoided energy use is the sum over reporting days of the model's prediction at that day's
temperature minus the observed use (3.6.1), skipping days without usage or temperature
(3.5); the fractional savings uncertainty is CalTRACK 4.3.2.4, ASHRAE Guideline 14's formula
with Sun and Baltazar's (2013) correction for autocorrelated daily residuals.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from scipy import stats

from energy.savings.caltrack import (
    BASELINE_DAYS,
    BaselineModel,
    DataInsufficient,
    baseline_fit,
    usable_days,
)

CONFIDENCE = 0.9  # CalTRACK 4.3.2.4.2: "usually 90 %"
# CalTRACK 4.3.2.4.6: FSU multiplier a*M^2 + b*M + d, M = reporting months.
SUN_BALTAZAR_DAILY = (-0.00024, 0.03535, 1.00286)
SUN_BALTAZAR_BILLING = (-0.00022, 0.03306, 0.94054)  # monthly billing data
DAYS_PER_MONTH = 365.25 / 12
MIN_REPORTING_DAYS = 30  # our policy: fewer days make a number too noisy to show a household


@dataclass(frozen=True)
class MeasuredSavings:
    model: BaselineModel
    intervention: date
    baseline_start: date
    baseline_end: date
    reporting_start: date
    reporting_end: date
    reporting_days: int
    predicted: float
    observed: float
    avoided: float
    fractional_savings: float
    fractional_savings_uncertainty: float
    avoided_uncertainty: float
    confidence: float = CONFIDENCE

    def as_dict(self) -> dict[str, Any]:
        return {
            "intervention": self.intervention.isoformat(),
            "baseline_start": self.baseline_start.isoformat(),
            "baseline_end": self.baseline_end.isoformat(),
            "reporting_start": self.reporting_start.isoformat(),
            "reporting_end": self.reporting_end.isoformat(),
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
        }


def savings_uncertainty_relative(
    *,
    baseline_points: int,
    n_params: int,
    cvrmse: float,
    autocorr_resid: float,
    reporting_points: int,
    reporting_months: float,
    coefficients: tuple[float, float, float],
) -> float:
    """CalTRACK 4.3.2.4 times F: the savings' uncertainty as a fraction of predicted use.

    Points are days or billing periods (P in the baseline, Q in the reporting period);
    ``coefficients`` are Sun and Baltazar's (a, b, d) for that kind of data. Divided by the
    fractional savings F it is the fractional savings uncertainty; multiplied by the
    predicted use it is the absolute uncertainty of the avoided use.
    """
    p = baseline_points
    rho = min(max(autocorr_resid, 0.0), 0.99)
    p_prime = p * (1 - rho) / (1 + rho)  # effective independent baseline points
    a, b, d = coefficients
    t = stats.t.ppf(0.5 + CONFIDENCE / 2, p - n_params)
    return float(
        t
        * (a * reporting_months**2 + b * reporting_months + d)
        * cvrmse
        * np.sqrt(p / p_prime * (1 + 2 / p_prime) / reporting_points)
    )


def savings_uncertainty_relative_to_baseline(*, model: BaselineModel, reporting_days: int) -> float:
    """``savings_uncertainty_relative`` of a daily model over ``reporting_days`` days."""
    return savings_uncertainty_relative(
        baseline_points=model.n_days,
        n_params=model.n_params,
        cvrmse=model.cvrmse,
        autocorr_resid=model.autocorr_resid,
        reporting_points=reporting_days,
        reporting_months=reporting_days / DAYS_PER_MONTH,
        coefficients=SUN_BALTAZAR_DAILY,
    )


def savings_measure(
    *,
    dates: np.ndarray,
    usage: np.ndarray,
    temperature_c: np.ndarray,
    intervention: date,
    commodity: str,
    reporting_end: date | None = None,
) -> MeasuredSavings:
    """Avoided use since ``intervention`` against the 365-day baseline before it.

    ``dates`` are consecutive local days (numpy datetime64[D]); NaN marks a missing value.
    """
    dates = np.asarray(dates, dtype="datetime64[D]")
    usage = np.asarray(usage, dtype=float)
    temperature_c = np.asarray(temperature_c, dtype=float)
    if not (len(dates) == len(usage) == len(temperature_c)):
        raise ValueError("dates, usage and temperature_c must have the same length")
    if len(dates) and np.any(np.diff(dates) != np.timedelta64(1, "D")):
        raise ValueError("dates must be consecutive days")

    baseline_start = intervention - timedelta(days=BASELINE_DAYS)
    baseline_end = intervention - timedelta(days=1)
    first = dates[0].astype(date) if len(dates) else None
    last = dates[-1].astype(date) if len(dates) else None
    reporting_end = min(reporting_end or last, last) if last else intervention
    reasons = []
    if first is None or first > baseline_start:
        reasons.append(
            f"the data start on {first or 'no day'}; a baseline for an intervention on "
            f"{intervention} needs data from {baseline_start} (365 days, CalTRACK 3.1.3)"
        )
    if last is None or last < intervention:
        reasons.append(f"there are no data on or after the intervention date {intervention}")
    if reasons:
        raise DataInsufficient(reasons)

    in_baseline = (dates >= np.datetime64(baseline_start)) & (dates <= np.datetime64(baseline_end))
    model = baseline_fit(
        temperature_c=temperature_c[in_baseline], usage=usage[in_baseline], commodity=commodity
    )

    in_reporting = (dates >= np.datetime64(intervention)) & (dates <= np.datetime64(reporting_end))
    counted = in_reporting & usable_days(
        usage=usage, temperature_c=temperature_c, commodity=commodity
    )
    reporting_days = int(counted.sum())
    if reporting_days < MIN_REPORTING_DAYS:
        raise DataInsufficient(
            [
                f"only {reporting_days} reporting days since {intervention} have usage and "
                f"temperature; savings are measured from {MIN_REPORTING_DAYS} days"
            ]
        )
    predicted = float(model.predict(temperature_c[counted]).sum())
    observed = float(usage[counted].sum())
    relative = savings_uncertainty_relative_to_baseline(model=model, reporting_days=reporting_days)
    return MeasuredSavings(
        model=model,
        intervention=intervention,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        reporting_start=intervention,
        reporting_end=reporting_end,
        reporting_days=reporting_days,
        **savings_figures(predicted=predicted, observed=observed, relative_uncertainty=relative),
    )


def savings_figures(
    *, predicted: float, observed: float, relative_uncertainty: float
) -> dict[str, float]:
    """Avoided use (CalTRACK 3.6.1), its share of the predicted use and their uncertainties
    (4.3.2.4), from the reporting period's predicted and observed use and the uncertainty
    relative to the predicted use: the figures every method reports alike."""
    avoided = predicted - observed
    fraction = avoided / predicted if predicted > 0 else float("nan")
    return {
        "predicted": predicted,
        "observed": observed,
        "avoided": avoided,
        "fractional_savings": fraction,
        # Undefined (infinite) when nothing was saved: reported as null.
        "fractional_savings_uncertainty": (
            relative_uncertainty / abs(fraction) if fraction else float("inf")
        ),
        "avoided_uncertainty": relative_uncertainty * predicted,
    }


def finite_or_none(value: float) -> float | None:
    return value if np.isfinite(value) else None
