"""The CalTRACK daily model on synthetic data with known coefficients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from energy.savings.caltrack import (
    BALANCE_POINTS_C,
    DataInsufficient,
    baseline_fit,
    cooling_degree_days,
    heating_degree_days,
)


def seasonal_temperatures(rng, days=365, mean_c=8.0, amplitude_c=14.0, noise_c=3.0):
    day = np.arange(days)
    return (
        mean_c - amplitude_c * np.cos(2 * np.pi * (day - 15) / 365) + rng.normal(0, noise_c, days)
    )


def test_degree_days_are_zero_on_the_other_side_of_the_balance_point():
    temperature_c = np.array([-5.0, 10.0, 18.0, 25.0])
    assert heating_degree_days(temperature_c, 18.0).tolist() == [23.0, 8.0, 0.0, 0.0]
    assert cooling_degree_days(temperature_c, 18.0).tolist() == [0.0, 0.0, 0.0, 7.0]


def test_balance_point_grid_spans_caltrack_range_in_steps_of_at_most_3_f():
    assert BALANCE_POINTS_C[0] == pytest.approx(-1.11, abs=0.01)  # 30 °F
    assert BALANCE_POINTS_C[-1] == pytest.approx(32.22, abs=0.01)  # 90 °F
    assert np.diff(BALANCE_POINTS_C).max() <= 3 * 5 / 9 + 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_heating_model_recovers_known_coefficients(seed):
    rng = np.random.default_rng(seed)
    temperature_c = seasonal_temperatures(rng)
    balance_c = BALANCE_POINTS_C[12]  # on the grid: recovery is exact up to noise
    usage = 3.0 + 0.45 * heating_degree_days(temperature_c, balance_c) + rng.normal(0, 0.4, 365)

    model = baseline_fit(temperature_c=temperature_c, usage=usage, commodity="gas")

    assert model.kind == "hdd_only"
    assert model.heating_balance_c == pytest.approx(balance_c, abs=1.5)
    assert model.beta_hdd == pytest.approx(0.45, rel=0.05)
    assert model.intercept == pytest.approx(3.0, abs=0.3)
    assert model.r_squared > 0.9
    assert model.cvrmse == pytest.approx(0.4 / usage.mean(), rel=0.15)
    assert abs(model.nmbe) < 1e-9  # OLS residuals sum to zero on the fitted days


def test_electricity_with_heating_and_cooling_picks_the_combined_model():
    rng = np.random.default_rng(4)
    temperature_c = seasonal_temperatures(rng, mean_c=14.0, amplitude_c=13.0)
    usage = (
        6.0
        + 0.5 * heating_degree_days(temperature_c, 15.56)
        + 0.8 * cooling_degree_days(temperature_c, 22.5)
        + rng.normal(0, 0.5, 365)
    )

    model = baseline_fit(temperature_c=temperature_c, usage=usage, commodity="electricity")

    assert model.kind == "hdd_cdd"
    assert model.beta_hdd == pytest.approx(0.5, rel=0.1)
    assert model.beta_cdd == pytest.approx(0.8, rel=0.15)
    assert model.cooling_balance_c >= model.heating_balance_c
    assert model.cooling_balance_c == pytest.approx(22.5, abs=1.5)


def test_gas_is_never_given_a_cooling_model():
    rng = np.random.default_rng(5)
    temperature_c = seasonal_temperatures(rng, mean_c=14.0, amplitude_c=13.0)
    usage = 2.0 + 0.8 * cooling_degree_days(temperature_c, 20.0) + rng.normal(0, 0.3, 365)

    model = baseline_fit(temperature_c=temperature_c, usage=usage, commodity="gas")

    assert model.kind in ("intercept_only", "hdd_only")
    assert model.beta_cdd == 0.0


def test_usage_that_ignores_the_weather_gets_the_intercept_only_model():
    rng = np.random.default_rng(6)
    temperature_c = seasonal_temperatures(rng)
    usage = 7.0 + rng.normal(0, 0.5, 365)

    model = baseline_fit(temperature_c=temperature_c, usage=usage, commodity="electricity")

    assert model.kind == "intercept_only"
    assert model.adj_r_squared == 0.0
    assert model.intercept == pytest.approx(usage.mean())
    assert np.allclose(model.predict(np.array([-10.0, 30.0])), usage.mean())


def test_prediction_interval_widens_away_from_the_baseline_weather():
    rng = np.random.default_rng(7)
    temperature_c = seasonal_temperatures(rng)
    usage = 3.0 + 0.45 * heating_degree_days(temperature_c, 16.0) + rng.normal(0, 0.4, 365)
    model = baseline_fit(temperature_c=temperature_c, usage=usage, commodity="gas")

    prediction, half_width = model.predict_interval(np.array([5.0, -40.0]))

    assert prediction[0] == pytest.approx(3.0 + 0.45 * 11.0, rel=0.05)
    assert half_width[0] == pytest.approx(1.645 * 0.4, rel=0.2)  # about t(0.95) sigma
    assert half_width[1] > half_width[0]
    covered = (
        np.abs(model.predict(temperature_c) - usage) <= model.predict_interval(temperature_c)[1]
    )
    assert 0.85 < covered.mean() < 0.95


def test_too_many_missing_days_are_refused_with_the_reason():
    rng = np.random.default_rng(8)
    temperature_c = seasonal_temperatures(rng)
    usage = 3.0 + 0.45 * heating_degree_days(temperature_c, 16.0)
    usage[:40] = np.nan
    temperature_c[100:105] = np.nan

    with pytest.raises(DataInsufficient) as error:
        baseline_fit(temperature_c=temperature_c, usage=usage, commodity="gas")

    assert error.value.reasons == [
        "45 of 365 baseline days lack usage (40) or temperature (5); "
        "CalTRACK allows at most 37 (2.2.1.2)"
    ]


def test_a_short_baseline_and_zero_electricity_are_refused():
    temperature_c = np.linspace(-5, 25, 200)
    usage = np.full(200, 4.0)
    usage[:50] = 0.0  # zero electricity counts as missing (CalTRACK 2.2.1.4)

    with pytest.raises(DataInsufficient) as error:
        baseline_fit(temperature_c=temperature_c, usage=usage, commodity="electricity")

    assert "the baseline covers 200 days; CalTRACK needs 365 (2.2.1.1)" in error.value.reasons
    assert any("50 of 200 baseline days lack usage (50)" in r for r in error.value.reasons)


def test_sufficiency_can_be_waived_for_a_shorter_fit():
    rng = np.random.default_rng(9)
    temperature_c = seasonal_temperatures(rng)[:120]
    usage = 3.0 + 0.45 * heating_degree_days(temperature_c, 16.0) + rng.normal(0, 0.3, 120)

    model = baseline_fit(
        temperature_c=temperature_c, usage=usage, commodity="gas", check_sufficiency=False
    )

    assert model.n_days == 120
    assert model.beta_hdd == pytest.approx(0.45, rel=0.1)


year_of_floats = hnp.arrays(
    np.float64,
    365,
    elements=st.floats(min_value=0.0, max_value=500.0, allow_nan=False, allow_infinity=False),
)
year_of_temperatures = hnp.arrays(
    np.float64,
    365,
    elements=st.floats(min_value=-30.0, max_value=38.0, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=60, deadline=None)
@given(
    usage=year_of_floats,
    temperature_c=year_of_temperatures,
    commodity=st.sampled_from(["electricity", "gas"]),
)
def test_fit_never_returns_negative_coefficients_or_nan(usage, temperature_c, commodity):
    try:
        model = baseline_fit(temperature_c=temperature_c, usage=usage, commodity=commodity)
    except DataInsufficient as error:
        assert error.reasons
        return
    assert model.intercept >= 0
    assert model.beta_hdd >= 0
    assert model.beta_cdd >= 0
    values = [model.intercept, model.beta_hdd, model.beta_cdd, model.r_squared, model.cvrmse]
    assert all(np.isfinite(v) for v in values)
    assert np.all(np.isfinite(model.predict(temperature_c)))
    assert np.all(model.predict(temperature_c) >= 0)


@settings(max_examples=30, deadline=None)
@given(
    beta=st.floats(min_value=0.05, max_value=5.0),
    intercept=st.floats(min_value=0.5, max_value=50.0),
    seed=st.integers(0, 2**16),
)
def test_noise_free_heating_data_are_fitted_exactly(beta, intercept, seed):
    temperature_c = seasonal_temperatures(np.random.default_rng(seed))
    balance_c = BALANCE_POINTS_C[10]
    usage = intercept + beta * heating_degree_days(temperature_c, balance_c)

    model = baseline_fit(temperature_c=temperature_c, usage=usage, commodity="gas")

    assert model.kind == "hdd_only"
    assert model.beta_hdd == pytest.approx(beta, rel=1e-6)
    assert model.intercept == pytest.approx(intercept, rel=1e-6)
