"""Statistics for A/B experiments: plain functions over numpy arrays, no models, no database.

Methods and sources (formulas follow the cited texts; GrowthBook's stats engine, gbstats, and
its "Statistical Details" and "CUPED technical" documentation were the reference for the
choices an experimentation platform has to make):

- Absolute lift: difference of means with Welch's unequal-variance t interval and test,
  degrees of freedom by the Welch–Satterthwaite approximation (Welch 1947, Satterthwaite 1946).
  Identical to ``scipy.stats.ttest_ind(equal_var=False)``.
- Relative lift ``mean_t / mean_c - 1``: delta-method variance of the ratio of means, as in
  GrowthBook's frequentist engine: ``var_t / (n_t m_c²) + var_c m_t² / (n_c m_c⁴)``; the
  interval uses the Welch t quantile with the same degrees of freedom.
- Two p-values, both two-sided: ``p_value`` is the Welch t-test on the absolute difference
  (H0: equal means, which is also H0: relative lift 0) and agrees with ``absolute_ci``;
  ``relative_p_value`` is GrowthBook's statistic (relative lift over its delta-method standard
  error, Welch df) and agrees with ``relative_ci``. They differ only slightly and only away from
  the null; show each next to its own interval.
- CUPED (Deng, Xu, Kohavi, Walker 2013, "Improving the Sensitivity of Online Controlled
  Experiments by Utilizing Pre-Experiment Data", eq. 4): ``theta = cov(post, pre) / var(pre)``
  over all units of both arms, ``adjusted = post - theta (pre - mean(pre))``, then the Welch
  lift on the adjusted values. The relative lift divides by the *unadjusted* control mean, as
  GrowthBook does; its delta-method variance accounts for the covariance of the adjusted and
  unadjusted control means (theta taken as fixed, as in the paper).
- Sample ratio mismatch: chi-square goodness of fit of the assignment counts against the
  configured weights (Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch in Online
  Controlled Experiments"), flagged below p = 0.001 (GrowthBook's default).
- Planning: two-sided two-sample normal approximation with equal arms (Kohavi, Tang, Xu 2020,
  "Trustworthy Online Controlled Experiments", ch. 17).
"""

import math
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import stats

from config.errors import ValidationFailed

# GrowthBook's default: SRM is rare, so a strict bar keeps false alarms (and wasted
# investigations) few.
SRM_P_VALUE_THRESHOLD = 0.001


class ExperimentDataInvalid(ValidationFailed):
    """Input the statistics cannot use at all (not finite, wrong shape, weights that are not
    positive), as opposed to too little data, which is a result (``LiftStatus``)."""

    code = "experiment_data_invalid"


@dataclass(frozen=True, slots=True)
class Summary:
    """One arm's metric: the number of units, the mean and the sample standard deviation.

    ``mean`` is None without units, ``sd`` (ddof 1) is None with fewer than two.
    """

    units: int
    mean: float | None
    sd: float | None


class LiftStatus(StrEnum):
    OK = "ok"
    TOO_FEW_UNITS = "too_few_units"  # fewer than 2 units in an arm
    ZERO_VARIANCE = "zero_variance"  # every unit of both arms has the same value


@dataclass(frozen=True, slots=True)
class Lift:
    """Treatment against control. Every field that cannot be computed is None, never NaN.

    ``control`` and ``treatment`` summarise the unadjusted metric (for CUPED too).
    ``absolute`` is the difference of (for CUPED: adjusted) means, ``relative`` that difference
    over the unadjusted control mean (None when the control mean is 0, or so close to 0 that
    the ratio's standard error is not a finite number). Intervals are two-sided at
    ``1 - alpha``. ``p_value`` is the Welch t-test of the difference (agrees with
    ``absolute_ci``), ``relative_p_value`` GrowthBook's delta-method test of the relative lift
    (agrees with ``relative_ci``). ``cuped_theta`` is None for the plain Welch lift.
    """

    status: LiftStatus
    alpha: float
    control: Summary
    treatment: Summary
    absolute: float | None
    absolute_ci: tuple[float, float] | None
    absolute_se: float | None
    relative: float | None
    relative_ci: tuple[float, float] | None
    relative_se: float | None
    t_statistic: float | None
    df: float | None
    p_value: float | None
    relative_p_value: float | None
    cuped_theta: float | None = None

    @property
    def enough_data(self) -> bool:
        """False when the arms are too small or constant to say anything: "not enough data"."""
        return self.status is LiftStatus.OK


@dataclass(frozen=True, slots=True)
class Srm:
    chi2: float
    p_value: float
    flagged: bool
    expected_counts: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """What a planned experiment can detect: see ``minimum_detectable_effect_for_traffic``."""

    units_per_variant: int
    baseline_mean: float
    sd: float
    relative_mde: float | None


@dataclass(frozen=True, slots=True)
class _Arm:
    """Moments of one arm: of the analysed values (adjusted for CUPED) and of the raw ones."""

    units: int
    mean: float
    variance: float
    raw_mean: float
    raw_variance: float
    covariance: float  # between analysed and raw values


def _values(values: npt.ArrayLike, *, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ExperimentDataInvalid(f"{name} must be one value per unit (a 1-D array).")
    if not np.isfinite(array).all():
        raise ExperimentDataInvalid(f"{name} has values that are not finite numbers.")
    return array


def _mean_and_variance(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample variance (ddof 1); exact for constant values (no rounding residue)."""
    if values.size == 0:
        return 0.0, 0.0
    low, high = float(values.min()), float(values.max())
    if low == high:
        return low, 0.0
    return float(values.mean()), float(np.var(values, ddof=1))


def _summary(values: np.ndarray) -> Summary:
    units = int(values.size)
    if units == 0:
        return Summary(units=0, mean=None, sd=None)
    mean, variance = _mean_and_variance(values)
    return Summary(units=units, mean=mean, sd=math.sqrt(variance) if units >= 2 else None)


def _arm(values: np.ndarray) -> _Arm:
    mean, variance = _mean_and_variance(values)
    return _Arm(
        units=int(values.size),
        mean=mean,
        variance=variance,
        raw_mean=mean,
        raw_variance=variance,
        covariance=variance,
    )


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ExperimentDataInvalid("alpha must lie strictly between 0 and 1.")


def variant_summary(values: npt.ArrayLike) -> Summary:
    """Units, mean and sample standard deviation (ddof 1) of one arm's per-unit values."""
    return _summary(_values(values, name="values"))


def _lift(
    control: _Arm,
    treatment: _Arm,
    *,
    control_summary: Summary,
    treatment_summary: Summary,
    alpha: float,
    cuped_theta: float | None,
) -> Lift:
    absolute = relative = None
    if control.units and treatment.units:
        absolute = treatment.mean - control.mean
        if control.raw_mean != 0.0:
            relative = absolute / control.raw_mean
            if not math.isfinite(relative):  # a control mean within rounding of 0
                relative = None
    empty = Lift(
        status=LiftStatus.OK,
        alpha=alpha,
        control=control_summary,
        treatment=treatment_summary,
        absolute=absolute,
        absolute_ci=None,
        absolute_se=None,
        relative=relative,
        relative_ci=None,
        relative_se=None,
        t_statistic=None,
        df=None,
        p_value=None,
        relative_p_value=None,
        cuped_theta=cuped_theta,
    )
    if control.units < 2 or treatment.units < 2 or absolute is None:
        return replace(empty, status=LiftStatus.TOO_FEW_UNITS)

    # Welch (1947): the variance of the difference is the sum of the variances of the means;
    # Satterthwaite (1946) for its degrees of freedom, written with the shares of each arm so
    # that tiny or huge variances neither underflow nor overflow.
    var_mean_c = control.variance / control.units
    var_mean_t = treatment.variance / treatment.units
    var_difference = var_mean_c + var_mean_t
    absolute_se = math.sqrt(var_difference)
    t_statistic = absolute / absolute_se if absolute_se > 0.0 else math.inf
    if not (math.isfinite(t_statistic) and math.isfinite(var_difference)):
        return replace(empty, status=LiftStatus.ZERO_VARIANCE)
    share_c, share_t = var_mean_c / var_difference, var_mean_t / var_difference
    df = 1.0 / (share_c * share_c / (control.units - 1) + share_t * share_t / (treatment.units - 1))
    quantile = float(stats.t.ppf(1.0 - alpha / 2.0, df))
    p_value = float(2.0 * stats.t.sf(abs(t_statistic), df))

    relative_ci = relative_se = relative_p_value = None
    if relative is not None:
        relative_se = _relative_se(control, treatment, relative=relative)
        if relative_se is None:  # the control mean is within rounding of 0
            relative = None
        elif relative_se == 0.0:  # e.g. a treatment of all zeros: exactly -100 %
            relative_ci, relative_p_value = (relative, relative), 0.0
        else:
            relative_ci = (relative - quantile * relative_se, relative + quantile * relative_se)
            relative_p_value = float(2.0 * stats.t.sf(abs(relative / relative_se), df))

    return Lift(
        status=LiftStatus.OK,
        alpha=alpha,
        control=control_summary,
        treatment=treatment_summary,
        absolute=absolute,
        absolute_ci=(absolute - quantile * absolute_se, absolute + quantile * absolute_se),
        absolute_se=absolute_se,
        relative=relative,
        relative_ci=relative_ci,
        relative_se=relative_se,
        t_statistic=t_statistic,
        df=float(df),
        p_value=p_value,
        relative_p_value=relative_p_value,
        cuped_theta=cuped_theta,
    )


def _relative_se(control: _Arm, treatment: _Arm, *, relative: float) -> float | None:
    """Delta-method standard error of ``(mean_t - mean_c) / raw_mean_c``.

    Gradient ``(1/m, -1/m, -relative/m)`` in ``(mean_t, mean_c, raw_mean_c)``. Without CUPED
    the control terms reduce to ``var_c * raw_mean_t² / raw_mean_c²``, GrowthBook's formula.
    None where it is not a finite number (a control mean within rounding of 0).
    """
    control_terms = (
        control.variance
        + 2.0 * relative * control.covariance
        + relative * relative * control.raw_variance
    )
    scale = control.raw_mean * control.raw_mean
    if scale == 0.0:
        return None
    variance = (treatment.variance / treatment.units + control_terms / control.units) / scale
    if not math.isfinite(variance):
        return None
    return math.sqrt(max(variance, 0.0))


def lift_welch(control: npt.ArrayLike, treatment: npt.ArrayLike, *, alpha: float = 0.05) -> Lift:
    """Absolute and relative lift of treatment over control: Welch t, delta-method ratio.

    Arguments are one metric value per unit. With fewer than 2 units in an arm or no
    variance in either, the result has ``enough_data`` False and no intervals or p-values.
    """
    _check_alpha(alpha)
    control_values = _values(control, name="control")
    treatment_values = _values(treatment, name="treatment")
    return _lift(
        _arm(control_values),
        _arm(treatment_values),
        control_summary=_summary(control_values),
        treatment_summary=_summary(treatment_values),
        alpha=alpha,
        cuped_theta=None,
    )


def lift_cuped(
    control_post: npt.ArrayLike,
    control_pre: npt.ArrayLike,
    treatment_post: npt.ArrayLike,
    treatment_pre: npt.ArrayLike,
    *,
    alpha: float = 0.05,
) -> Lift:
    """Lift with CUPED variance reduction (Deng et al. 2013) by the pre-experiment metric.

    ``*_pre[i]`` is the same unit's value before exposure; NaN marks a unit without one. Theta
    is estimated from the units that have a pre value, pooled over both arms; a unit without
    one is given the pooled pre mean, i.e. it is not adjusted. With fewer than two pre values,
    or constant ones, theta is 0 and the result equals ``lift_welch`` (but for
    ``cuped_theta``). ``absolute`` is the difference of adjusted means, ``relative`` that over
    the unadjusted control mean (as GrowthBook); ``control``/``treatment`` are unadjusted.
    """
    _check_alpha(alpha)
    c_post = _values(control_post, name="control_post")
    t_post = _values(treatment_post, name="treatment_post")
    c_pre = np.asarray(control_pre, dtype=float)
    t_pre = np.asarray(treatment_pre, dtype=float)
    for pre, post, name in ((c_pre, c_post, "control_pre"), (t_pre, t_post, "treatment_pre")):
        if pre.shape != post.shape:
            raise ExperimentDataInvalid(f"{name} needs one value (or NaN) per unit of post.")
        if np.isinf(pre).any():
            raise ExperimentDataInvalid(f"{name} has infinite values.")

    post = np.concatenate([c_post, t_post])
    pre = np.concatenate([c_pre, t_pre])
    has_pre = ~np.isnan(pre)
    all_have_pre = bool(has_pre.all())
    post_with_pre = post if all_have_pre else post[has_pre]
    pre_with_pre = pre if all_have_pre else pre[has_pre]

    theta = 0.0
    pre_mean = float(pre_with_pre.mean()) if pre_with_pre.size else 0.0
    _, pre_variance = _mean_and_variance(pre_with_pre)
    if pre_variance > 0.0:
        # Deng et al. 2013, eq. 4: the regression slope of post on pre over all units.
        pre_centred = pre_with_pre - pre_mean
        covariance = float(
            np.dot(post_with_pre - post_with_pre.mean(), pre_centred) / (pre_centred.size - 1)
        )
        theta = covariance / pre_variance

    def arm(post_values: np.ndarray, pre_values: np.ndarray) -> _Arm:
        if theta == 0.0:
            return _arm(post_values)
        shift = pre_values - pre_mean
        if not all_have_pre:
            shift = np.where(np.isnan(shift), 0.0, shift)
        adjusted = post_values - theta * shift
        units = int(post_values.size)
        mean, variance = _mean_and_variance(adjusted)
        raw_mean, raw_variance = _mean_and_variance(post_values)
        covariance = (
            float(np.dot(adjusted - mean, post_values - raw_mean) / (units - 1))
            if units >= 2
            else 0.0
        )
        return _Arm(
            units=units,
            mean=mean,
            variance=variance,
            raw_mean=raw_mean,
            raw_variance=raw_variance,
            covariance=covariance,
        )

    return _lift(
        arm(c_post, c_pre),
        arm(t_post, t_pre),
        control_summary=_summary(c_post),
        treatment_summary=_summary(t_post),
        alpha=alpha,
        cuped_theta=theta,
    )


def srm_check(observed_counts: npt.ArrayLike, expected_weights: npt.ArrayLike) -> Srm:
    """Sample ratio mismatch: chi-square goodness of fit of the units per variant.

    ``expected_weights`` are the configured traffic weights in the same order (any positive
    scale, e.g. ``[50, 50]``). ``flagged`` when p < ``SRM_P_VALUE_THRESHOLD``.
    """
    observed = np.asarray(observed_counts, dtype=float)
    weights = np.asarray(expected_weights, dtype=float)
    if observed.ndim != 1 or observed.shape != weights.shape or observed.size < 2:
        raise ExperimentDataInvalid("SRM needs one count and one weight per variant, at least 2.")
    if not np.isfinite(observed).all() or (observed < 0).any():
        raise ExperimentDataInvalid("Unit counts must be non-negative numbers.")
    if not np.isfinite(weights).all() or (weights <= 0).any():
        raise ExperimentDataInvalid("Traffic weights must be positive numbers.")
    total = observed.sum()
    expected = total * weights / weights.sum()
    if total == 0:
        return Srm(chi2=0.0, p_value=1.0, flagged=False, expected_counts=tuple(expected.tolist()))
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    p_value = float(stats.chi2.sf(chi2, observed.size - 1))
    return Srm(
        chi2=chi2,
        p_value=p_value,
        flagged=p_value < SRM_P_VALUE_THRESHOLD,
        expected_counts=tuple(expected.tolist()),
    )


def _planning_z(*, variants: int, alpha: float, power: float) -> float:
    """z_(1 - alpha'/2) + z_power, with alpha' = alpha / (variants - 1) (Bonferroni)."""
    _check_alpha(alpha)
    if not 0.0 < power < 1.0:
        raise ExperimentDataInvalid("power must lie strictly between 0 and 1.")
    if variants < 2:
        raise ExperimentDataInvalid("An experiment has at least 2 variants (control included).")
    alpha_per_comparison = alpha / (variants - 1)
    return float(stats.norm.ppf(1.0 - alpha_per_comparison / 2.0) + stats.norm.ppf(power))


def _check_metric(*, sd: float, baseline_mean: float) -> None:
    if not (math.isfinite(sd) and sd > 0.0):
        raise ExperimentDataInvalid("sd must be a positive number.")
    if not math.isfinite(baseline_mean) or baseline_mean == 0.0:
        raise ExperimentDataInvalid("A relative effect needs a non-zero baseline mean.")


def minimum_detectable_effect(
    *,
    sd: float,
    baseline_mean: float,
    units_per_variant: int,
    variants: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest relative effect (0.03 = 3 %) detected with ``power`` by a two-sided test.

    Normal approximation, equal arms and equal variances: ``(z_(1-alpha'/2) + z_power) * sd *
    sqrt(2 / units_per_variant) / |baseline_mean|``. Each of the ``variants - 1`` treatments is
    compared with control at alpha' = alpha / (variants - 1) (Bonferroni; no correction for
    2 variants): with more arms, analyse at that alpha too to get the planned power. This is
    the power of the absolute Welch test (``Lift.p_value``) for large arms.
    """
    _check_metric(sd=sd, baseline_mean=baseline_mean)
    if units_per_variant < 2:
        raise ExperimentDataInvalid("units_per_variant must be at least 2.")
    z = _planning_z(variants=variants, alpha=alpha, power=power)
    return z * sd * math.sqrt(2.0 / units_per_variant) / abs(baseline_mean)


def units_needed(
    *,
    sd: float,
    baseline_mean: float,
    relative_effect: float,
    variants: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int:
    """Units **per variant** to detect ``relative_effect`` (0.03 = 3 %, sign ignored).

    The inverse of ``minimum_detectable_effect``, rounded up; the experiment needs this many
    units in each of its ``variants`` arms.
    """
    _check_metric(sd=sd, baseline_mean=baseline_mean)
    if not math.isfinite(relative_effect) or relative_effect == 0.0:
        raise ExperimentDataInvalid("relative_effect must be a non-zero number.")
    z = _planning_z(variants=variants, alpha=alpha, power=power)
    units = 2.0 * (z * sd / (relative_effect * baseline_mean)) ** 2
    # Round up, but not past a whole number that float rounding nudged above itself.
    return max(2, math.ceil(units - 1e-9 * units))


def minimum_detectable_effect_for_traffic(
    *,
    daily_values: npt.ArrayLike,
    units_per_day: float,
    days: int,
    traffic_fraction: float = 1.0,
    variants: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Plan:
    """MDE of an experiment from observed metric values and the traffic it will get.

    ``daily_values``: the metric as it will be measured, one value per unit, from recent data
    (e.g. each premise's mean daily kWh last month); their mean and sd are the baseline. The
    experiment enrols ``units_per_day × days × traffic_fraction`` new units, split equally over
    ``variants`` arms. Assumes each unit enters once and the metric's spread does not change
    with the duration. ``relative_mde`` is None when an arm would have fewer than 2 units.
    """
    values = _values(daily_values, name="daily_values")
    summary = _summary(values)
    if summary.sd is None or summary.mean is None:
        raise ExperimentDataInvalid("daily_values needs at least 2 values.")
    if not 0.0 < traffic_fraction <= 1.0:
        raise ExperimentDataInvalid("traffic_fraction must lie in (0, 1].")
    if units_per_day < 0 or days < 0:
        raise ExperimentDataInvalid("units_per_day and days cannot be negative.")
    if variants < 2:
        raise ExperimentDataInvalid("An experiment has at least 2 variants (control included).")
    # floor, but a product that rounding left just below a whole number counts as that number
    units_per_variant = math.floor(units_per_day * days * traffic_fraction / variants + 1e-9)
    relative_mde = None
    if units_per_variant >= 2:
        relative_mde = minimum_detectable_effect(
            sd=summary.sd,
            baseline_mean=summary.mean,
            units_per_variant=units_per_variant,
            variants=variants,
            alpha=alpha,
            power=power,
        )
    return Plan(
        units_per_variant=units_per_variant,
        baseline_mean=summary.mean,
        sd=summary.sd,
        relative_mde=relative_mde,
    )
