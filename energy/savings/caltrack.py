"""CalTRACK daily baseline models: usage per day against heating and cooling degree days.

Follows the CalTRACK methods, version 2.0 (openeemeter/caltrack ``docs/methods.rst``):

- 2.2.1: a baseline is 365 days and may miss at most 37 of them (10 %); for electricity a
  day of zero use counts as missing (2.2.1.4).
- 3.2: heating and cooling balance points by grid search over 30-90 °F, steps of at most
  3 °F (we use 1 °F, converted to °C); a candidate needs at least 10 days with non-zero
  degree days and 20 degree days per year; the cooling balance point is at least the heating
  one. Gas has no cooling models.
- 3.4: ordinary least squares, candidates intercept-only, HDD-only, CDD-only and HDD+CDD;
  slopes must be positive (3.4.3.2) and, as in CalTRACK 1.0 and the eemeter reference
  implementation, significant (p < 0.1); the highest adjusted R² wins (3.4.3.3).
- 4.3.2.2: CV(RMSE) with P - c degrees of freedom.

Every fit is a closed-form solve over all candidate balance points at once (the 2x2 normal
equations of the centred slopes), so a year of daily data fits in about 2 ms
(bench/caltrack_fit.py). The solve takes row weights, so the billing method
(``energy/savings/billing.py``, weighted least squares, 3.4.2) shares it.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from config.errors import ShoeneError

ELECTRICITY = "electricity"
GAS = "gas"

BASELINE_DAYS = 365
MAX_MISSING_BASELINE_DAYS = 37  # CalTRACK 2.2.1.2
MIN_NONZERO_DEGREE_DAYS = 10  # CalTRACK 3.2.2.2.1, per year
MIN_TOTAL_DEGREE_DAYS = 20.0  # CalTRACK 3.2.2.2.2, per year (°F·day there; °C·day is stricter)
SLOPE_MAX_P_VALUE = 0.1  # CalTRACK 1.0 / eemeter: slopes must be significant at 10 %


def _fahrenheit_to_celsius(value_f: np.ndarray) -> np.ndarray:
    return (value_f - 32.0) * 5.0 / 9.0


# 30-90 °F in 1 °F steps (CalTRACK 3.2.1 and 3.2.3): -1.1 °C to 32.2 °C, 61 candidates.
BALANCE_POINTS_C = _fahrenheit_to_celsius(np.arange(30.0, 90.0 + 1e-9, 1.0))


class DataInsufficient(ShoeneError):
    """The data do not qualify for a CalTRACK model; ``reasons`` says why, one line each."""

    code = "insufficient_data"
    http_status = 422

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons), details={"reasons": reasons})
        self.reasons = reasons


def heating_degree_days(temperature_c: np.ndarray, balance_c: float) -> np.ndarray:
    """Heating degree days (°C·day) of each day's mean temperature below the balance point."""
    return np.maximum(balance_c - np.asarray(temperature_c, dtype=float), 0.0)


def cooling_degree_days(temperature_c: np.ndarray, balance_c: float) -> np.ndarray:
    """Cooling degree days (°C·day) of each day's mean temperature above the balance point."""
    return np.maximum(np.asarray(temperature_c, dtype=float) - balance_c, 0.0)


def usable_days(*, usage: np.ndarray, temperature_c: np.ndarray, commodity: str) -> np.ndarray:
    """Days with both a usage and a temperature; zero electricity counts as missing (2.2.1.4)."""
    usage = np.asarray(usage, dtype=float)
    mask = np.isfinite(usage) & np.isfinite(np.asarray(temperature_c, dtype=float))
    if commodity == ELECTRICITY:
        mask &= usage != 0.0
    return mask


def baseline_sufficiency(
    *, usage: np.ndarray, temperature_c: np.ndarray, commodity: str
) -> list[str]:
    """Why these days cannot be a CalTRACK baseline; an empty list when they can."""
    reasons = []
    if commodity not in (ELECTRICITY, GAS):
        return [f"unknown commodity {commodity!r}: expected electricity or gas"]
    days = len(usage)
    if days < BASELINE_DAYS:
        reasons.append(f"the baseline covers {days} days; CalTRACK needs {BASELINE_DAYS} (2.2.1.1)")
    mask = usable_days(usage=usage, temperature_c=temperature_c, commodity=commodity)
    missing = int(days - mask.sum())
    allowed = MAX_MISSING_BASELINE_DAYS * max(days, BASELINE_DAYS) // BASELINE_DAYS
    if missing > allowed:
        missing_usage = int(
            (~usable_days(usage=usage, temperature_c=np.zeros(days), commodity=commodity)).sum()
        )
        missing_temperature = int((~np.isfinite(np.asarray(temperature_c, dtype=float))).sum())
        reasons.append(
            f"{missing} of {days} baseline days lack usage ({missing_usage}) or temperature "
            f"({missing_temperature}); CalTRACK allows at most {allowed} (2.2.1.2)"
        )
    if mask.any() and np.nanmin(np.asarray(usage, dtype=float)[mask]) < 0:
        reasons.append("the baseline has negative usage (net metering?); CalTRACK excludes it")
    return reasons


@dataclass(frozen=True)
class BaselineModel:
    """A fitted usage-per-day model: intercept + beta_hdd * HDD + beta_cdd * CDD."""

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
    n_days: int
    mean_usage: float
    residual_std: float  # sqrt(SSres / (P - c - 1)), per day
    autocorr_resid: float  # lag-1 autocorrelation of the daily residuals
    p_value_hdd: float | None = None
    p_value_cdd: float | None = None
    # For prediction intervals: means of the regressors and the inverse of their centred
    # cross-product matrix (the slopes' part of (X'X)^-1).
    _x_mean: tuple[float, ...] = field(default=(), repr=False)
    _s_inverse: tuple[tuple[float, ...], ...] = field(default=(), repr=False)

    @property
    def n_params(self) -> int:
        """Explanatory variables, not counting the intercept (CalTRACK's c)."""
        return {"intercept_only": 0, "hdd_only": 1, "cdd_only": 1, "hdd_cdd": 2}[self.kind]

    @property
    def degrees_of_freedom(self) -> int:
        return self.n_days - self.n_params - 1

    def _regressors(self, temperature_c: np.ndarray) -> np.ndarray:
        temperature_c = np.asarray(temperature_c, dtype=float)
        columns = []
        if self.heating_balance_c is not None:
            columns.append(heating_degree_days(temperature_c, self.heating_balance_c))
        if self.cooling_balance_c is not None:
            columns.append(cooling_degree_days(temperature_c, self.cooling_balance_c))
        return np.column_stack(columns) if columns else np.empty((len(temperature_c), 0))

    def predict(self, temperature_c: np.ndarray) -> np.ndarray:
        """Usage per day at these daily mean temperatures (NaN where the temperature is)."""
        temperature_c = np.asarray(temperature_c, dtype=float)
        prediction = np.full(temperature_c.shape, self.intercept)
        if self.heating_balance_c is not None:
            prediction += self.beta_hdd * heating_degree_days(temperature_c, self.heating_balance_c)
        if self.cooling_balance_c is not None:
            prediction += self.beta_cdd * cooling_degree_days(temperature_c, self.cooling_balance_c)
        return np.where(np.isfinite(temperature_c), prediction, np.nan)

    def predict_interval(
        self, temperature_c: np.ndarray, confidence: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each day's prediction and the half-width of its prediction interval."""
        prediction = self.predict(temperature_c)
        x = self._regressors(temperature_c) - np.asarray(self._x_mean)
        s_inverse = np.asarray(self._s_inverse).reshape(self.n_params, self.n_params)
        leverage = 1.0 / self.n_days + np.einsum("ij,jk,ik->i", x, s_inverse, x)
        t = stats.t.ppf(0.5 + confidence / 2, self.degrees_of_freedom)
        return prediction, t * self.residual_std * np.sqrt(1.0 + leverage)

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
            "n_days": self.n_days,
            "mean_usage": self.mean_usage,
            "residual_std": self.residual_std,
            "autocorr_resid": self.autocorr_resid,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class _Candidates:
    """Least-squares results of one model family over a grid of balance points."""

    adj_r_squared: np.ndarray
    slopes: np.ndarray  # (candidates, k)
    p_values: np.ndarray  # (candidates, k)
    ss_res: np.ndarray
    s_inverse: np.ndarray  # (candidates, k, k)
    qualified: np.ndarray  # bool


def _weighted_mean(w: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (w @ values) / w.sum()


def _fit_one_slope(x: np.ndarray, y: np.ndarray, w: np.ndarray, ss_tot: float) -> _Candidates:
    """y = a + b * x_j for every column j of x (rows, candidates), rows weighted by w."""
    n = x.shape[0]
    x_mean = _weighted_mean(w, x)
    y_mean = _weighted_mean(w, y)
    xc = x - x_mean
    wyc = w * (y - y_mean)
    s_xx = np.einsum("i,ij,ij->j", w, xc, xc)
    s_xy = xc.T @ wyc
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = s_xy / s_xx
        ss_res = np.maximum(ss_tot - slope * s_xy, 0.0)
        sigma2 = ss_res / (n - 2)
        t_value = slope / np.sqrt(sigma2 / s_xx)
        s_inverse = 1.0 / s_xx
    p_value = 2 * stats.t.sf(np.abs(t_value), n - 2)
    return _Candidates(
        adj_r_squared=1 - (ss_res / (n - 2)) / (ss_tot / (n - 1)),
        slopes=slope[:, None],
        p_values=p_value[:, None],
        ss_res=ss_res,
        s_inverse=s_inverse[:, None, None],
        qualified=(s_xx > 0)
        & (slope > 0)
        & (p_value < SLOPE_MAX_P_VALUE)
        & (y_mean - slope * x_mean >= 0),  # a negative baseload is not physical (3.4.3.2.3)
    )


def _fit_two_slopes(
    h: np.ndarray, c: np.ndarray, pairs: np.ndarray, y: np.ndarray, w: np.ndarray, ss_tot: float
) -> _Candidates:
    """y = a + b_h * h_i + b_c * c_j for every (i, j) in pairs, rows weighted by w."""
    n = h.shape[0]
    h_mean, c_mean = _weighted_mean(w, h), _weighted_mean(w, c)
    y_mean = _weighted_mean(w, y)
    hc = h - h_mean
    cc = c - c_mean
    wyc = w * (y - y_mean)
    whc = w[:, None] * hc
    s_hh = np.einsum("ij,ij->j", whc, hc)[pairs[:, 0]]
    s_cc = np.einsum("i,ij,ij->j", w, cc, cc)[pairs[:, 1]]
    s_hc = (whc.T @ cc)[pairs[:, 0], pairs[:, 1]]
    s_hy = (hc.T @ wyc)[pairs[:, 0]]
    s_cy = (cc.T @ wyc)[pairs[:, 1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s_hh * s_cc - s_hc**2
        b_h = (s_cc * s_hy - s_hc * s_cy) / det
        b_c = (s_hh * s_cy - s_hc * s_hy) / det
        ss_res = np.maximum(ss_tot - b_h * s_hy - b_c * s_cy, 0.0)
        sigma2 = ss_res / (n - 3)
        inverse = np.stack([np.stack([s_cc, -s_hc], -1), np.stack([-s_hc, s_hh], -1)], -2)
        inverse = inverse / det[:, None, None]
        t_h = b_h / np.sqrt(sigma2 * inverse[:, 0, 0])
        t_c = b_c / np.sqrt(sigma2 * inverse[:, 1, 1])
    p_h = 2 * stats.t.sf(np.abs(t_h), n - 3)
    p_c = 2 * stats.t.sf(np.abs(t_c), n - 3)
    return _Candidates(
        adj_r_squared=1 - (ss_res / (n - 3)) / (ss_tot / (n - 1)),
        slopes=np.column_stack([b_h, b_c]),
        p_values=np.column_stack([p_h, p_c]),
        ss_res=ss_res,
        s_inverse=inverse,
        qualified=(det > 1e-9 * s_hh * s_cc)
        & (b_h > 0)
        & (b_c > 0)
        & (p_h < SLOPE_MAX_P_VALUE)
        & (p_c < SLOPE_MAX_P_VALUE)
        & (y_mean - b_h * h_mean[pairs[:, 0]] - b_c * c_mean[pairs[:, 1]] >= 0),
    )


def enough_degree_days(dd: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
    """CalTRACK 3.2.2.2 per candidate column, scaled to the length of the data.

    Rows are days, or, with ``days``, billing periods of that many days each whose ``dd`` is
    the mean degree days per day; the 10 non-zero days do not apply to billing (3.2.2.2.1).
    """
    if days is None:
        per_year = dd.shape[0] / BASELINE_DAYS
        nonzero_ok = (dd > 0).sum(axis=0) >= MIN_NONZERO_DEGREE_DAYS * per_year
        return nonzero_ok & (dd.sum(axis=0) >= MIN_TOTAL_DEGREE_DAYS * per_year)
    per_year = days.sum() / BASELINE_DAYS
    return days @ dd >= MIN_TOTAL_DEGREE_DAYS * per_year


def candidates_select(
    *,
    usage_per_day: np.ndarray,
    weights: np.ndarray,
    hdd: np.ndarray,
    cdd: np.ndarray,
    hdd_ok: np.ndarray,
    cdd_ok: np.ndarray,
) -> dict[str, Any]:
    """CalTRACK 3.4.3: fit every qualified candidate in closed form and keep the best.

    ``hdd`` and ``cdd`` hold the regressors (rows, BALANCE_POINTS_C); ``hdd_ok`` and
    ``cdd_ok`` say which balance points have enough degree days (and cooling at all).
    Rows are weighted by ``weights``: ones for days, the days of each billing period for
    bills (3.4.2). Returns the kind, adjusted R², slopes, p-values and balance points (with
    their indices in BALANCE_POINTS_C).
    """
    y, w = usage_per_day, weights
    y_mean = float(_weighted_mean(w, y))
    ss_tot = float(w @ (y - y_mean) ** 2)
    # Intercept-only: adjusted R² is 0 by definition (CalTRACK 3.4.3.1.4).
    best: dict[str, Any] = {"kind": "intercept_only", "adj_r_squared": 0.0, "ss_res": ss_tot}
    if ss_tot <= 0:
        return best
    for kind, dd, ok in (("hdd_only", hdd, hdd_ok), ("cdd_only", cdd, cdd_ok)):
        if not ok.any():
            continue
        columns = np.flatnonzero(ok)
        fit = _fit_one_slope(dd[:, columns], y, w, ss_tot)
        best = _better(best, kind, fit, columns[:, None])
    if hdd_ok.any() and cdd_ok.any():
        i, j = np.meshgrid(np.flatnonzero(hdd_ok), np.flatnonzero(cdd_ok), indexing="ij")
        pairs = np.column_stack([i.ravel(), j.ravel()])
        pairs = pairs[BALANCE_POINTS_C[pairs[:, 1]] >= BALANCE_POINTS_C[pairs[:, 0]]]
        if len(pairs):
            fit = _fit_two_slopes(hdd, cdd, pairs, y, w, ss_tot)
            best = _better(best, "hdd_cdd", fit, pairs)
    return best


def baseline_fit(
    *, temperature_c: np.ndarray, usage: np.ndarray, commodity: str, check_sufficiency=True
) -> BaselineModel:
    """Fit the CalTRACK daily model to aligned days; raises DataInsufficient with reasons.

    ``check_sufficiency=False`` fits any days given (at least 30 usable), for uses that are
    not a CalTRACK baseline, such as a heating slope for a recommendation.
    """
    usage = np.asarray(usage, dtype=float)
    temperature_c = np.asarray(temperature_c, dtype=float)
    if usage.shape != temperature_c.shape or usage.ndim != 1:
        raise ValueError("usage and temperature_c must be 1-D arrays of the same length")
    if check_sufficiency:
        reasons = baseline_sufficiency(
            usage=usage, temperature_c=temperature_c, commodity=commodity
        )
        if reasons:
            raise DataInsufficient(reasons)
    mask = usable_days(usage=usage, temperature_c=temperature_c, commodity=commodity)
    y, temperature = usage[mask], temperature_c[mask]
    n = len(y)
    if n < 30:
        raise DataInsufficient([f"only {n} days have both usage and temperature; at least 30"])
    mean = float(y.mean())
    if mean <= 0:
        raise DataInsufficient(["the mean usage is not positive"])
    ss_tot = float((y - mean) @ (y - mean))
    hdd = np.maximum(BALANCE_POINTS_C[None, :] - temperature[:, None], 0.0)
    cdd = np.maximum(temperature[:, None] - BALANCE_POINTS_C[None, :], 0.0)
    best = candidates_select(
        usage_per_day=y,
        weights=np.ones(n),
        hdd=hdd,
        cdd=cdd,
        hdd_ok=enough_degree_days(hdd),
        cdd_ok=enough_degree_days(cdd) & (commodity == ELECTRICITY),
    )
    return _model_from(best, commodity=commodity, y=y, temperature=temperature, ss_tot=ss_tot)


def _better(best: dict, kind: str, fit: _Candidates, balance_index: np.ndarray) -> dict:
    # Rounded, so candidates that tie up to floating-point noise resolve to the lowest balance
    # point whatever the scale of the usage (the fit must not change when kWh become Wh).
    adj = np.where(fit.qualified, np.round(fit.adj_r_squared, 10), -np.inf)
    index = int(np.argmax(adj))
    if not np.isfinite(adj[index]) or adj[index] <= best["adj_r_squared"]:
        return best
    return {
        "kind": kind,
        "adj_r_squared": float(adj[index]),
        "ss_res": float(fit.ss_res[index]),
        "slopes": fit.slopes[index],
        "p_values": fit.p_values[index],
        "s_inverse": fit.s_inverse[index],
        "balance_index": balance_index[index],
        "balance": BALANCE_POINTS_C[balance_index[index]],
    }


def _model_from(
    best: dict, *, commodity: str, y: np.ndarray, temperature: np.ndarray, ss_tot: float
) -> BaselineModel:
    kind = best["kind"]
    n = len(y)
    heating_c = cooling_c = None
    beta_hdd = beta_cdd = 0.0
    p_hdd = p_cdd = None
    columns, slopes = [], []
    if kind in ("hdd_only", "hdd_cdd"):
        heating_c = float(best["balance"][0])
        beta_hdd = float(best["slopes"][0])
        p_hdd = float(best["p_values"][0])
        columns.append(heating_degree_days(temperature, heating_c))
        slopes.append(beta_hdd)
    if kind in ("cdd_only", "hdd_cdd"):
        cooling_c = float(best["balance"][-1])
        beta_cdd = float(best["slopes"][-1])
        p_cdd = float(best["p_values"][-1])
        columns.append(cooling_degree_days(temperature, cooling_c))
        slopes.append(beta_cdd)
    x = np.column_stack(columns) if columns else np.empty((n, 0))
    x_mean = x.mean(axis=0)
    mean = float(y.mean())
    intercept = float(mean - x_mean @ np.asarray(slopes))
    residuals = y - (intercept + x @ np.asarray(slopes))
    c = len(slopes)
    ss_res = float(residuals @ residuals)
    autocorr = 0.0
    if n > 2 and residuals[:-1].std() > 0 and residuals[1:].std() > 0:
        autocorr = float(np.corrcoef(residuals[:-1], residuals[1:])[0, 1])
    s_inverse = np.asarray(best["s_inverse"]).reshape(c, c) if c else np.empty((0, 0))
    return BaselineModel(
        kind=kind,
        commodity=commodity,
        intercept=intercept,
        beta_hdd=beta_hdd,
        beta_cdd=beta_cdd,
        heating_balance_c=heating_c,
        cooling_balance_c=cooling_c,
        r_squared=1 - ss_res / ss_tot if ss_tot > 0 else 0.0,
        adj_r_squared=best["adj_r_squared"],
        cvrmse=float(np.sqrt(ss_res / (n - c)) / mean),
        # ASHRAE Guideline 14 NMBE; zero up to rounding on the days OLS was fitted to.
        nmbe=float(residuals.sum() / ((n - c) * mean)),
        n_days=n,
        mean_usage=mean,
        residual_std=float(np.sqrt(ss_res / (n - c - 1))),
        autocorr_resid=autocorr,
        p_value_hdd=p_hdd,
        p_value_cdd=p_cdd,
        _x_mean=tuple(float(v) for v in x_mean),
        _s_inverse=tuple(tuple(float(v) for v in row) for row in s_inverse),
    )
