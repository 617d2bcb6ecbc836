"""The experiment statistics engine on simulated experiments with known truth.

Pure numpy: no database. Every simulation has a fixed seed; rates are checked against the
binomial 99 % band of their nominal value (computed, not hard-coded).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from flags.experiments.stats import (
    SRM_P_VALUE_THRESHOLD,
    ExperimentDataInvalid,
    LiftStatus,
    Summary,
    lift_cuped,
    lift_welch,
    minimum_detectable_effect,
    minimum_detectable_effect_for_traffic,
    srm_check,
    units_needed,
    variant_summary,
)

EXPERIMENTS = 400


def binomial_band(*, trials: int, rate: float) -> tuple[int, int]:
    """Central 99 % of the number of hits in ``trials`` at ``rate``."""
    return int(stats.binom.ppf(0.005, trials, rate)), int(stats.binom.ppf(0.995, trials, rate))


def daily_kwh(rng: np.random.Generator, size) -> np.ndarray:
    """Skewed like household daily electricity use: median ~10 kWh, mean ~11.3, sd ~6."""
    return rng.lognormal(mean=np.log(10.0), sigma=0.5, size=size)


def correlated_pre_post(rng, *, units, rho, effect=0.0, mean=10.0, sd=3.0):
    """Pre and post with correlation ``rho`` (normal); post multiplied by 1 + effect."""
    pre = rng.normal(mean, sd, units)
    post = mean + rho * (pre - mean) + math.sqrt(1 - rho**2) * sd * rng.normal(0, 1, units)
    return post * (1 + effect), pre


def interval_width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


# --- summaries and the hand-computed example --------------------------------------------------


def test_variant_summary_of_a_tiny_arm():
    assert variant_summary([1.0, 2.0, 3.0, 4.0, 5.0]) == Summary(
        units=5, mean=3.0, sd=pytest.approx(math.sqrt(2.5))
    )
    assert variant_summary(np.array([7.5])) == Summary(units=1, mean=7.5, sd=None)
    assert variant_summary([]) == Summary(units=0, mean=None, sd=None)


def test_welch_lift_matches_hand_computation_and_scipy():
    control = [1.0, 2.0, 3.0, 4.0, 5.0]  # mean 3, variance 2.5
    treatment = [2.0, 4.0, 6.0, 9.0]  # mean 5.25, variance 26.75 / 3
    lift = lift_welch(control, treatment)

    var_mean_c, var_mean_t = 2.5 / 5, (26.75 / 3) / 4
    se = math.sqrt(var_mean_c + var_mean_t)
    df = (var_mean_c + var_mean_t) ** 2 / (var_mean_c**2 / 4 + var_mean_t**2 / 3)
    assert lift.status is LiftStatus.OK and lift.enough_data
    assert lift.absolute == pytest.approx(2.25)
    assert lift.absolute_se == pytest.approx(se)
    assert lift.t_statistic == pytest.approx(2.25 / se)
    assert lift.df == pytest.approx(df)
    assert df == pytest.approx(4.3332, abs=1e-4)
    q = stats.t.ppf(0.975, df)
    assert lift.absolute_ci == pytest.approx((2.25 - q * se, 2.25 + q * se))

    scipy_result = stats.ttest_ind(treatment, control, equal_var=False)
    assert lift.t_statistic == pytest.approx(scipy_result.statistic, rel=1e-12)
    assert lift.df == pytest.approx(scipy_result.df, rel=1e-12)
    assert lift.p_value == pytest.approx(scipy_result.pvalue, rel=1e-12)
    ci = scipy_result.confidence_interval(0.95)
    assert lift.absolute_ci == pytest.approx((ci.low, ci.high), rel=1e-12)

    # Relative: 5.25 / 3 - 1, delta-method variance var_t/(n_t m_c²) + var_c m_t²/(n_c m_c⁴).
    relative_se = math.sqrt(var_mean_t / 3**2 + var_mean_c * 5.25**2 / 3**4)
    assert lift.relative == pytest.approx(0.75)
    assert lift.relative_se == pytest.approx(relative_se)
    assert lift.relative_ci == pytest.approx((0.75 - q * relative_se, 0.75 + q * relative_se))
    assert lift.relative_p_value == pytest.approx(2 * stats.t.sf(0.75 / relative_se, df))
    assert lift.control == Summary(units=5, mean=3.0, sd=pytest.approx(math.sqrt(2.5)))
    assert lift.treatment.units == 4 and lift.treatment.mean == 5.25


def arms(elements):
    return hnp.arrays(np.float64, st.integers(min_value=0, max_value=30), elements=elements)


# Any magnitude, subnormal numbers included: nothing may raise or come out NaN.
any_values = arms(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
# Metered values to the Wh (0.001 kWh), with ties and zeros: where scipy is exact too (at
# subnormal variances scipy's Welch df underflows; ours is written in shares and does not).
metered_kwh = arms(st.integers(min_value=-(10**7), max_value=10**7).map(lambda wh: wh / 1000))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(control=any_values, treatment=any_values)
def test_welch_lift_never_raises_or_returns_nan(control, treatment):
    lift = lift_welch(control, treatment)
    numbers = [
        lift.absolute,
        lift.absolute_se,
        lift.relative,
        lift.relative_se,
        lift.t_statistic,
        lift.df,
        lift.p_value,
        lift.relative_p_value,
        *(lift.absolute_ci or ()),
        *(lift.relative_ci or ()),
    ]
    assert all(math.isfinite(x) for x in numbers if x is not None)
    if not lift.enough_data:
        assert lift.p_value is None and lift.absolute_ci is None and lift.relative_ci is None


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy's, not ours
@settings(max_examples=200, deadline=None, derandomize=True)
@given(control=metered_kwh, treatment=metered_kwh)
def test_welch_lift_agrees_with_scipy(control, treatment):
    lift = lift_welch(control, treatment)
    if lift.enough_data:
        scipy_result = stats.ttest_ind(treatment, control, equal_var=False)
        assert lift.t_statistic == pytest.approx(scipy_result.statistic, rel=1e-6, abs=1e-9)
        assert lift.p_value == pytest.approx(scipy_result.pvalue, rel=1e-6, abs=1e-12)
        assert lift.df == pytest.approx(scipy_result.df, rel=1e-6)


@st.composite
def cuped_arm(draw):
    size = draw(st.integers(min_value=0, max_value=20))
    values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
    post = draw(hnp.arrays(np.float64, size, elements=values))
    pre = draw(hnp.arrays(np.float64, size, elements=values | st.just(np.nan)))
    return post, pre


@settings(max_examples=200, deadline=None, derandomize=True)
@given(control=cuped_arm(), treatment=cuped_arm())
def test_cuped_lift_never_raises_or_returns_nan(control, treatment):
    lift = lift_cuped(control[0], control[1], treatment[0], treatment[1])
    numbers = [
        lift.cuped_theta,
        lift.absolute,
        lift.absolute_se,
        lift.relative,
        lift.relative_se,
        lift.df,
        lift.p_value,
        lift.relative_p_value,
        *(lift.absolute_ci or ()),
        *(lift.relative_ci or ()),
    ]
    assert all(math.isfinite(x) for x in numbers if x is not None)


# --- edge cases: "not enough data", never an exception or NaN -----------------------------------


@pytest.mark.parametrize(
    ("control", "treatment"),
    [([], []), ([], [1.0, 2.0]), ([1.0, 2.0], []), ([3.0], [1.0, 2.0]), ([1.0, 2.0], [5.0])],
)
def test_an_arm_with_fewer_than_two_units_is_not_enough_data(control, treatment):
    lift = lift_welch(control, treatment)
    assert lift.status is LiftStatus.TOO_FEW_UNITS and not lift.enough_data
    assert lift.p_value is None and lift.absolute_ci is None and lift.relative_ci is None
    assert lift.control.units == len(control) and lift.treatment.units == len(treatment)
    if control and treatment:
        assert lift.absolute == pytest.approx(np.mean(treatment) - np.mean(control))
    else:
        assert lift.absolute is None and lift.relative is None


def test_zero_variance_in_both_arms_is_not_enough_data():
    lift = lift_welch([0.1] * 50, [0.1] * 70)  # 0.1 is not exact in binary: no rounding residue
    assert lift.status is LiftStatus.ZERO_VARIANCE and not lift.enough_data
    assert lift.absolute == 0.0 and lift.relative == 0.0
    assert lift.p_value is None and lift.absolute_ci is None and lift.df is None
    assert lift.control.sd == 0.0

    differing = lift_welch([2.0] * 5, [3.0] * 5)
    assert differing.status is LiftStatus.ZERO_VARIANCE
    assert differing.relative == pytest.approx(0.5) and differing.p_value is None


def test_zero_variance_in_one_arm_still_gives_a_welch_result():
    lift = lift_welch([2.0] * 10, [1.0, 2.0, 3.0, 4.0])
    assert lift.enough_data
    assert lift.df == pytest.approx(3.0)  # all the uncertainty is the treatment arm's
    t_statistic = 0.5 / math.sqrt((5 / 3) / 4)
    assert lift.t_statistic == pytest.approx(t_statistic)
    assert lift.p_value == pytest.approx(2 * stats.t.sf(t_statistic, 3))


def test_a_control_mean_within_rounding_of_zero_gives_no_relative_lift():
    # Found by hypothesis: the relative lift overflowed when squared.
    lift = lift_welch([9.02452234e-226, 0.0], [0.0, 1.0])
    assert lift.enough_data and lift.p_value is not None
    assert lift.relative is None and lift.relative_ci is None


def test_a_treatment_of_all_zeros_is_exactly_minus_100_percent():
    lift = lift_welch([1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    assert lift.relative == -1.0 and lift.relative_se == 0.0
    assert lift.relative_ci == (-1.0, -1.0) and lift.relative_p_value == 0.0


def test_zero_control_mean_leaves_the_relative_lift_undefined():
    lift = lift_welch([-1.0, 1.0, -2.0, 2.0], [1.0, 2.0, 3.0])
    assert lift.enough_data
    assert lift.absolute == pytest.approx(2.0) and lift.p_value is not None
    assert lift.relative is None and lift.relative_ci is None
    assert lift.relative_se is None and lift.relative_p_value is None


def test_values_that_are_not_numbers_are_refused():
    with pytest.raises(ExperimentDataInvalid):
        lift_welch([1.0, float("nan"), 2.0], [1.0, 2.0])
    with pytest.raises(ExperimentDataInvalid):
        lift_welch([[1.0, 2.0]], [1.0, 2.0])
    with pytest.raises(ExperimentDataInvalid):
        lift_welch([1.0, 2.0], [1.0, 2.0], alpha=0)
    with pytest.raises(ExperimentDataInvalid):
        lift_cuped([1.0, 2.0], [1.0], [1.0, 2.0], [1.0, 2.0])


# --- calibration on simulated experiments -------------------------------------------------------


def test_aa_false_positive_rate_is_nominal():
    rng = np.random.default_rng(20261127)
    values = daily_kwh(rng, (EXPERIMENTS, 2, 2_000))
    lifts = [lift_welch(control, treatment) for control, treatment in values]
    low, high = binomial_band(trials=EXPERIMENTS, rate=0.05)
    false_positives = sum(lift.p_value < 0.05 for lift in lifts)
    assert low <= false_positives <= high, (false_positives, (low, high))
    relative_false_positives = sum(lift.relative_p_value < 0.05 for lift in lifts)
    assert low <= relative_false_positives <= high, (relative_false_positives, (low, high))
    # The interval and the test agree: 0 lies outside the interval exactly when p < alpha.
    assert all(
        (lift.p_value < 0.05) == (not lift.absolute_ci[0] <= 0 <= lift.absolute_ci[1])
        for lift in lifts
    )


def test_aa_false_positive_rate_is_nominal_with_cuped():
    rng = np.random.default_rng(7)
    low, high = binomial_band(trials=EXPERIMENTS, rate=0.05)
    false_positives = 0
    for _ in range(EXPERIMENTS):
        c_post, c_pre = correlated_pre_post(rng, units=2_000, rho=0.8)
        t_post, t_pre = correlated_pre_post(rng, units=2_000, rho=0.8)
        false_positives += lift_cuped(c_post, c_pre, t_post, t_pre).p_value < 0.05
    assert low <= false_positives <= high, (false_positives, (low, high))


def test_a_known_3_percent_effect_is_recovered():
    rng = np.random.default_rng(3)
    control = daily_kwh(rng, 200_000)
    treatment = daily_kwh(rng, 200_000) * 1.03
    lift = lift_welch(control, treatment)
    assert lift.relative == pytest.approx(0.03, abs=0.005)
    assert lift.relative_ci[0] <= 0.03 <= lift.relative_ci[1]
    assert lift.relative_ci[0] > 0  # and it is significant
    assert lift.p_value < 0.001 and lift.relative_p_value < 0.001
    true_absolute = 0.03 * 10.0 * math.exp(0.5**2 / 2)  # 3 % of the lognormal's mean
    assert lift.absolute_ci[0] <= true_absolute <= lift.absolute_ci[1]


def test_relative_interval_covers_a_3_percent_effect_at_its_nominal_rate():
    rng = np.random.default_rng(11)
    values = daily_kwh(rng, (EXPERIMENTS, 2, 2_000))
    values[:, 1, :] *= 1.03
    covered = 0
    for control, treatment in values:
        low_ci, high_ci = lift_welch(control, treatment).relative_ci
        covered += low_ci <= 0.03 <= high_ci
    low, high = binomial_band(trials=EXPERIMENTS, rate=0.95)
    assert low <= covered <= high, (covered, (low, high))


# --- CUPED --------------------------------------------------------------------------------------


def test_cuped_narrows_the_interval_by_about_sqrt_1_minus_rho_squared():
    rng = np.random.default_rng(5)
    c_post, c_pre = correlated_pre_post(rng, units=50_000, rho=0.8)
    t_post, t_pre = correlated_pre_post(rng, units=50_000, rho=0.8, effect=0.03)
    welch = lift_welch(c_post, t_post)
    cuped = lift_cuped(c_post, c_pre, t_post, t_pre)

    assert cuped.cuped_theta == pytest.approx(0.8 * 1.015, abs=0.02)  # slope of post on pre
    expected_ratio = math.sqrt(1 - 0.8**2)  # 0.6
    absolute_ratio = interval_width(cuped.absolute_ci) / interval_width(welch.absolute_ci)
    relative_ratio = interval_width(cuped.relative_ci) / interval_width(welch.relative_ci)
    assert absolute_ratio == pytest.approx(expected_ratio, abs=0.03)
    assert relative_ratio == pytest.approx(expected_ratio, abs=0.03)
    assert cuped.relative_ci[0] <= 0.03 <= cuped.relative_ci[1]
    assert cuped.relative == pytest.approx(0.03, abs=0.005)
    # The arms are reported unadjusted.
    assert cuped.control == welch.control and cuped.treatment == welch.treatment


def test_cuped_is_unbiased_and_its_interval_covers_at_the_nominal_rate():
    rng = np.random.default_rng(13)
    covered, relatives = 0, []
    for _ in range(EXPERIMENTS):
        c_post, c_pre = correlated_pre_post(rng, units=2_000, rho=0.8)
        t_post, t_pre = correlated_pre_post(rng, units=2_000, rho=0.8, effect=0.03)
        lift = lift_cuped(c_post, c_pre, t_post, t_pre)
        covered += lift.relative_ci[0] <= 0.03 <= lift.relative_ci[1]
        relatives.append(lift.relative)
    low, high = binomial_band(trials=EXPERIMENTS, rate=0.95)
    assert low <= covered <= high, (covered, (low, high))
    # 400 estimates, each with a standard error of about 0.6 pp: their mean is within 0.1 pp.
    assert np.mean(relatives) == pytest.approx(0.03, abs=0.001)


def test_cuped_units_without_a_pre_value_are_not_adjusted():
    rng = np.random.default_rng(17)
    c_post, c_pre = correlated_pre_post(rng, units=20_000, rho=0.8)
    t_post, t_pre = correlated_pre_post(rng, units=20_000, rho=0.8, effect=0.03)
    welch = lift_welch(c_post, t_post)
    full = lift_cuped(c_post, c_pre, t_post, t_pre)

    half_missing_c, half_missing_t = c_pre.copy(), t_pre.copy()
    half_missing_c[::2] = np.nan
    half_missing_t[::2] = np.nan
    half = lift_cuped(c_post, half_missing_c, t_post, half_missing_t)
    assert half.enough_data and half.cuped_theta == pytest.approx(full.cuped_theta, abs=0.03)
    full_width, half_width = interval_width(full.relative_ci), interval_width(half.relative_ci)
    assert full_width < half_width < interval_width(welch.relative_ci)

    none = lift_cuped(c_post, np.full_like(c_pre, np.nan), t_post, np.full_like(t_pre, np.nan))
    assert none.cuped_theta == 0.0
    assert none.relative_ci == pytest.approx(welch.relative_ci)
    assert none.p_value == pytest.approx(welch.p_value)


def test_cuped_with_degenerate_arms_is_not_enough_data():
    assert lift_cuped([], [], [1.0, 2.0], [1.0, 2.0]).status is LiftStatus.TOO_FEW_UNITS
    constant_pre = lift_cuped([1.0, 2.0, 3.0], [5.0] * 3, [2.0, 3.0, 4.0], [5.0] * 3)
    assert constant_pre.cuped_theta == 0.0 and constant_pre.enough_data
    zero_control = lift_cuped([-1.0, 1.0], [0.0, 1.0], [1.0, 2.0], [0.0, 1.0])
    assert zero_control.relative is None and zero_control.relative_ci is None


# --- sample ratio mismatch ----------------------------------------------------------------------


def test_srm_flags_5000_against_5500_on_a_50_50_split():
    srm = srm_check([5_000, 5_500], [0.5, 0.5])
    assert srm.flagged and srm.p_value < SRM_P_VALUE_THRESHOLD
    assert srm.chi2 == pytest.approx(2 * 250**2 / 5_250)
    assert srm.expected_counts == (5_250.0, 5_250.0)


def test_srm_passes_5000_against_5050():
    srm = srm_check([5_000, 5_050], [50, 50])
    assert not srm.flagged and srm.p_value == pytest.approx(0.618, abs=0.001)


def test_srm_with_three_uneven_variants_matches_scipy():
    observed, weights = [4_980, 2_560, 2_460], [0.5, 0.25, 0.25]
    srm = srm_check(observed, weights)
    expected = stats.chisquare(observed, [5_000, 2_500, 2_500])
    assert srm.chi2 == pytest.approx(expected.statistic)
    assert srm.p_value == pytest.approx(expected.pvalue)
    assert not srm.flagged


def test_srm_without_units_or_with_bad_weights():
    assert srm_check([0, 0], [1, 1]).flagged is False
    with pytest.raises(ExperimentDataInvalid):
        srm_check([10, 10], [1, 0])
    with pytest.raises(ExperimentDataInvalid):
        srm_check([10, 10, 10], [1, 1])


# --- planning -----------------------------------------------------------------------------------


def test_mde_matches_the_textbook_formula():
    # (z_0.975 + z_0.8) * sd * sqrt(2 / n) / mean; 16 σ²/δ² units per arm rule of thumb.
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    mde = minimum_detectable_effect(sd=6.0, baseline_mean=11.0, units_per_variant=10_000)
    assert mde == pytest.approx(z * 6.0 * math.sqrt(2 / 10_000) / 11.0)
    rule_of_thumb = 16 * 6.0**2 / (0.03 * 11.0) ** 2
    assert units_needed(sd=6.0, baseline_mean=11.0, relative_effect=0.03) == pytest.approx(
        rule_of_thumb, rel=0.02
    )


@pytest.mark.parametrize("units", [2, 137, 10_000, 1_234_567])
@pytest.mark.parametrize("variants", [2, 4])
def test_mde_and_units_needed_are_inverses(units, variants):
    metric = {"sd": 6.2, "baseline_mean": 11.3, "variants": variants}
    mde = minimum_detectable_effect(units_per_variant=units, **metric)
    assert units_needed(relative_effect=mde, **metric) == units

    needed = units_needed(relative_effect=0.02, **metric)
    assert minimum_detectable_effect(units_per_variant=needed, **metric) <= 0.02
    assert minimum_detectable_effect(units_per_variant=needed - 1, **metric) > 0.02


def test_mde_shrinks_as_one_over_sqrt_n():
    mdes = [
        minimum_detectable_effect(sd=6.0, baseline_mean=11.0, units_per_variant=n)
        for n in (1_000, 4_000, 16_000)
    ]
    assert mdes[1] == pytest.approx(mdes[0] / 2) and mdes[2] == pytest.approx(mdes[0] / 4)


def test_more_variants_need_a_larger_effect_bonferroni():
    two = minimum_detectable_effect(sd=6.0, baseline_mean=11.0, units_per_variant=5_000)
    three = minimum_detectable_effect(
        sd=6.0, baseline_mean=11.0, units_per_variant=5_000, variants=3
    )
    z = stats.norm.ppf(1 - 0.025 / 2) + stats.norm.ppf(0.8)
    assert three == pytest.approx(z * 6.0 * math.sqrt(2 / 5_000) / 11.0) and three > two


def test_planned_power_is_achieved_in_simulation():
    """At units_needed for a 5 % effect, the Welch test finds it about 80 % of the time."""
    rng = np.random.default_rng(19)
    sd, mean = 0.5 * 10.0, 10.0  # normal metric, coefficient of variation 0.5
    units = units_needed(sd=sd, baseline_mean=mean, relative_effect=0.05)
    found = 0
    for _ in range(EXPERIMENTS):
        control = rng.normal(mean, sd, units)
        treatment = rng.normal(mean * 1.05, sd, units)
        found += lift_welch(control, treatment).p_value < 0.05
    low, high = binomial_band(trials=EXPERIMENTS, rate=0.8)
    assert low <= found <= high, (found, (low, high))


def test_mde_for_traffic_splits_enrolment_over_the_variants():
    rng = np.random.default_rng(23)
    observed = daily_kwh(rng, 5_000)
    plan = minimum_detectable_effect_for_traffic(
        daily_values=observed, units_per_day=300, days=28, traffic_fraction=0.5, variants=3
    )
    assert plan.units_per_variant == 1_400  # 300 × 28 × 0.5 / 3
    assert plan.baseline_mean == pytest.approx(observed.mean())
    assert plan.sd == pytest.approx(observed.std(ddof=1))
    assert plan.relative_mde == pytest.approx(
        minimum_detectable_effect(
            sd=plan.sd, baseline_mean=plan.baseline_mean, units_per_variant=1_400, variants=3
        )
    )
    too_short = minimum_detectable_effect_for_traffic(
        daily_values=observed, units_per_day=1, days=3
    )
    assert too_short.units_per_variant == 1 and too_short.relative_mde is None


def test_planner_refuses_an_undefined_relative_effect():
    with pytest.raises(ExperimentDataInvalid):
        minimum_detectable_effect(sd=1.0, baseline_mean=0.0, units_per_variant=100)
    with pytest.raises(ExperimentDataInvalid):
        units_needed(sd=1.0, baseline_mean=5.0, relative_effect=0.0)
