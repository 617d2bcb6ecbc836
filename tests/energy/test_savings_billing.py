"""The CalTRACK billing method on simulated monthly bills with a known saving, and its rules."""

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy.savings.billing import (
    BillingModel,
    billing_baseline_fit,
    billing_savings_measure,
    period_degree_days,
)
from energy.savings.caltrack import (
    BALANCE_POINTS_C,
    DataInsufficient,
    cooling_degree_days,
    heating_degree_days,
)
from energy.savings.simulate_bills import bills_simulate

FIRST = date(2023, 1, 4)
HEATING_BALANCE_C = float(BALANCE_POINTS_C[30])  # 60 °F, 15.6 °C: on the grid
SEEDS = range(1, 21)


def sapporo_temperatures(days: np.ndarray, seed: int = 1) -> np.ndarray:
    """Daily means of a Sapporo-like year with day-to-day weather."""
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int)
    rng = np.random.default_rng(seed)
    return (
        9.3 - 13.2 * np.cos(2 * np.pi * (day_of_year - 26) / 365.25) + rng.normal(0, 3, len(days))
    )


def bills(
    lengths: list[int],
    *,
    first: date = FIRST,
    base: float = 1.2,
    heating_slope: float = 0.25,
    heating_balance_c: float = HEATING_BALANCE_C,
    cooling_slope: float = 0.0,
    cooling_balance_c: float = 22.0,
    seed: int = 1,
) -> dict:
    """Noise-free bills of these lengths (days) from ``first``, and the daily temperatures."""
    ends = np.datetime64(first) + np.cumsum(lengths) - 1
    starts = ends - np.array(lengths) + 1
    days = np.arange(starts[0], ends[-1] + 1)
    temperature_c = sapporo_temperatures(days, seed)
    daily = (
        base
        + heating_slope * heating_degree_days(temperature_c, heating_balance_c)
        + cooling_slope * cooling_degree_days(temperature_c, cooling_balance_c)
    )
    totals = np.concatenate([[0.0], np.cumsum(daily)])
    index = (ends - days[0]).astype(int) + 1
    return {
        "period_starts": starts,
        "period_ends": ends,
        "usage": totals[index] - totals[index - np.array(lengths)],
        "temperature_dates": days,
        "temperature_c": temperature_c,
    }


def test_a_known_saving_is_measured_over_whole_bills_with_its_uncertainty():
    simulated = bills_simulate(seed=3, commodity="gas")

    result = billing_savings_measure(**simulated.measure_arguments())

    assert result.reporting_periods == simulated.reporting_periods
    assert result.baseline_end < simulated.intervention <= result.reporting_start
    assert result.reporting_end == simulated.reporting_end
    assert result.avoided == pytest.approx(result.predicted - result.observed)
    assert result.fractional_savings == pytest.approx(result.avoided / result.predicted)
    assert abs(result.fractional_savings - simulated.true_fractional_savings) < 0.03
    assert 0 < result.fractional_savings_uncertainty < 1
    assert result.avoided_uncertainty == pytest.approx(
        result.fractional_savings_uncertainty * result.avoided
    )
    assert result.model.kind == "hdd_only"
    assert result.model.n_periods == result.baseline_periods
    # The bill that spans the intervention is in neither period, and says so.
    assert any("spans the intervention" in note for note in result.notes)


def test_as_dict_names_the_method_and_every_figure():
    result = billing_savings_measure(
        **bills_simulate(seed=1, commodity="electricity").measure_arguments()
    )

    body = result.as_dict()

    assert list(body) == [
        "method",
        "intervention",
        "baseline_start",
        "baseline_end",
        "reporting_start",
        "reporting_end",
        "baseline_periods",
        "reporting_periods",
        "reporting_days",
        "predicted",
        "observed",
        "avoided",
        "avoided_uncertainty",
        "fractional_savings",
        "fractional_savings_uncertainty",
        "confidence",
        "cvrmse",
        "nmbe",
        "model",
        "notes",
    ]
    assert body["method"] == "billing"
    assert body["confidence"] == 0.9
    assert body["model"]["n_periods"] == body["baseline_periods"]
    assert abs(body["nmbe"]) < 1e-9  # weighted by days, the totals' residuals sum to zero


def _errors(commodity: str) -> tuple[np.ndarray, np.ndarray]:
    errors, bands = [], []
    for seed in SEEDS:
        simulated = bills_simulate(seed=seed, commodity=commodity, estimated_read=seed % 5 == 0)
        result = billing_savings_measure(**simulated.measure_arguments())
        errors.append(result.fractional_savings - simulated.true_fractional_savings)
        bands.append(result.fractional_savings_uncertainty * abs(result.fractional_savings))
    return np.array(errors), np.array(bands)


def test_fractional_savings_are_within_one_and_a_half_points_of_the_truth_on_average():
    """The issue's goal, on 20 seeds, each with an electricity and a gas meter.

    Measured on seeds 1-20: 1.32 pp for electricity, 1.57 pp for gas (the goal missed on gas
    alone), 1.45 pp together; over seeds 1-300: 1.40 and 1.49 pp. A perfect model would
    still miss by about 1.0 pp: the household's behaviour over the reporting year, which no
    method can know (docs/savings.md, "Billing data").
    """
    electricity, electricity_bands = _errors("electricity")
    gas, gas_bands = _errors("gas")
    errors = np.concatenate([electricity, gas])

    assert np.abs(errors).mean() <= 0.015
    assert np.abs(electricity).mean() <= 0.0175 and np.abs(gas).mean() <= 0.0175
    # No bias beyond the seeds' noise: a mean of 20 seeds' errors has a standard error of
    # about 0.4 pp (over 300 seeds the bias is -0.1 pp).
    assert abs(errors.mean()) <= 0.01
    # The reported 90 % uncertainty holds the truth for most meters (36 of these 40).
    inside = np.abs(errors) <= np.concatenate([electricity_bands, gas_bands])
    assert inside.mean() >= 0.8


def test_noise_free_bills_give_back_the_slope_balance_point_and_base():
    data = bills([30, 29, 31, 30, 28, 33, 30, 31, 27, 34, 30, 32, 30], seed=7)

    model = billing_baseline_fit(**data, commodity="gas")

    assert model.kind == "hdd_only"
    assert model.heating_balance_c == pytest.approx(HEATING_BALANCE_C)
    assert model.beta_hdd == pytest.approx(0.25, rel=1e-9)
    assert model.intercept == pytest.approx(1.2, rel=1e-9)
    assert model.r_squared == pytest.approx(1.0)
    assert model.cvrmse == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("seed", [2, 5, 11])
def test_simulated_bills_without_behaviour_recover_an_off_grid_balance_point(seed):
    simulated = bills_simulate(seed=seed, commodity="gas", behaviour=False)
    arguments = simulated.measure_arguments()
    del arguments["intervention"], arguments["reporting_end"]
    baseline_end = simulated.intervention - timedelta(days=1)

    model = billing_baseline_fit(**arguments, baseline_end=baseline_end)

    assert model.heating_balance_c == pytest.approx(simulated.heating_balance_c, abs=0.6)
    assert model.beta_hdd == pytest.approx(simulated.heating_slope, rel=0.06)


def test_the_fit_is_weighted_least_squares_with_each_bill_weighted_by_its_days():
    rng = np.random.default_rng(3)
    data = bills([25, 35, 26, 34, 25, 35, 27, 33, 25, 35, 26, 34, 30], seed=3)
    data["usage"] = data["usage"] * rng.lognormal(0, 0.05, 13)

    model = billing_baseline_fit(**data, commodity="gas")

    _, hdd, _ = period_degree_days(
        period_starts=data["period_starts"],
        period_ends=data["period_ends"],
        temperature_dates=data["temperature_dates"],
        temperature_c=data["temperature_c"],
        balance_points_c=np.array([model.heating_balance_c]),
    )
    fitted = data["period_ends"] >= data["period_ends"][-1] - 364  # wholly in the year
    days = (data["period_ends"] - data["period_starts"]).astype(int)[fitted] + 1
    design = np.column_stack([np.ones(days.size), hdd[fitted, 0]])
    root = np.sqrt(days)
    solution = np.linalg.lstsq(
        design * root[:, None], data["usage"][fitted] / days * root, rcond=None
    )[0]
    assert model.n_periods == fitted.sum()
    assert (model.intercept, model.beta_hdd) == pytest.approx(tuple(solution), rel=1e-9)


def test_gas_is_never_given_a_cooling_model():
    data = bills([30] * 13, heating_slope=0.1, cooling_slope=2.0, cooling_balance_c=18.0)

    gas = billing_baseline_fit(**data, commodity="gas")
    electricity = billing_baseline_fit(**data, commodity="electricity")

    assert gas.kind in ("hdd_only", "intercept_only")
    assert gas.beta_cdd == 0.0 and gas.cooling_balance_c is None
    assert electricity.kind in ("cdd_only", "hdd_cdd")


def _intervention_after(data: dict, index: int) -> date:
    return data["period_starts"][index].astype(date)


def test_an_off_cycle_baseline_read_is_dropped_with_its_reason():
    lengths = [31, 30, 30, 30, 10, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30]
    data = bills(lengths)

    result = billing_savings_measure(
        **data, intervention=_intervention_after(data, 14), commodity="gas"
    )

    off_cycle = f"{data['period_starts'][4]} to {data['period_ends'][4]} (10 days)"
    assert [note for note in result.notes if off_cycle in note] == [
        f"the period {off_cycle} is an off-cycle read, under 25 days, and is dropped "
        "(CalTRACK 2.2.3.4)"
    ]
    assert result.baseline_periods == 11  # the first bill reaches beyond the year
    assert result.reporting_periods == 3
    assert result.fractional_savings == pytest.approx(0.0, abs=1e-9)


def test_an_off_cycle_reporting_read_is_combined_with_the_next_bill():
    data = bills([30] * 13 + [12, 30, 30])

    result = billing_savings_measure(
        **data, intervention=_intervention_after(data, 13), commodity="gas"
    )

    assert result.reporting_periods == 2
    assert result.reporting_days == 72
    assert any("(12 days) is combined with the next period" in note for note in result.notes)


def test_an_estimated_read_is_combined_with_the_next_and_its_days_count_as_missing():
    data = bills([30] * 16)
    estimated = np.zeros(16, dtype=bool)
    estimated[6] = True
    actual = data["usage"].copy()
    data["usage"][6], data["usage"][7] = 40.0, actual[6] + actual[7] - 40.0

    result = billing_savings_measure(
        **data, estimated=estimated, intervention=_intervention_after(data, 13), commodity="gas"
    )

    assert result.baseline_periods == 11  # 12 bills in the year, two of them combined
    assert result.model.cvrmse == pytest.approx(0.0, abs=1e-9)
    assert any("estimated read" in note and "2.2.3.1" in note for note in result.notes)

    # A second estimated read takes the missing days past CalTRACK's 37.
    estimated[10] = True
    with pytest.raises(DataInsufficient) as refusal:
        billing_savings_measure(
            **data,
            estimated=estimated,
            intervention=_intervention_after(data, 13),
            commodity="gas",
        )
    assert "60 of the 365 baseline days" in refusal.value.reasons[0]


def test_overlapping_bills_are_refused():
    data = bills([30] * 16)
    data["period_ends"][5] += 3

    with pytest.raises(DataInsufficient) as refusal:
        billing_savings_measure(**data, intervention=_intervention_after(data, 13), commodity="gas")

    [reason] = refusal.value.reasons
    assert "overlap" in reason and "(2.3.2)" in reason
    assert str(data["period_starts"][6]) in reason
    assert refusal.value.code == "insufficient_data"


def test_too_few_baseline_bills_are_refused_with_each_reason():
    data = bills([30] * 9)

    with pytest.raises(DataInsufficient) as refusal:
        billing_savings_measure(**data, intervention=_intervention_after(data, 6), commodity="gas")

    reasons = refusal.value.reasons
    assert len(reasons) == 3
    assert "(365 days, CalTRACK 2.2.1.1)" in reasons[0]
    assert "185 of the 365 baseline days" in reasons[1] and "(2.2.1.2, 2.2.3.1)" in reasons[1]
    assert reasons[2].startswith("only 6 usable billing periods")


def test_a_bill_without_enough_temperatures_is_left_out_and_none_is_refused():
    data = bills([30] * 16)
    gap = (data["period_starts"][8] - data["temperature_dates"][0]).astype(int)
    data["temperature_c"][gap : gap + 4] = np.nan  # 26 of 30 days: under 90 %

    result = billing_savings_measure(
        **data, intervention=_intervention_after(data, 13), commodity="gas"
    )

    assert result.baseline_periods == 11
    assert any("temperatures for 26 of its days" in note for note in result.notes)

    data["temperature_c"][:] = np.nan
    with pytest.raises(DataInsufficient) as refusal:
        billing_savings_measure(**data, intervention=_intervention_after(data, 13), commodity="gas")
    assert any("temperatures for 0 of its days" in reason for reason in refusal.value.reasons)


def test_no_whole_reporting_bill_is_refused():
    data = bills([30] * 14)

    with pytest.raises(DataInsufficient) as refusal:
        billing_savings_measure(
            **data,
            intervention=_intervention_after(data, 13) + timedelta(days=3),
            commodity="gas",
        )

    assert "no whole billing period" in refusal.value.reasons[0]


def test_predict_gives_each_bills_total_and_nothing_without_temperatures():
    data = bills([30] * 13)
    model = billing_baseline_fit(**data, commodity="gas")
    temperature_c = data["temperature_c"].copy()
    temperature_c[-30:] = np.nan

    predicted = model.predict(
        period_starts=data["period_starts"],
        period_ends=data["period_ends"],
        temperature_dates=data["temperature_dates"],
        temperature_c=temperature_c,
    )

    assert isinstance(model, BillingModel)
    assert predicted[:-1] == pytest.approx(data["usage"][:-1], rel=1e-9)
    assert np.isnan(predicted[-1])


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(min_value=0.01, max_value=1000.0), seed=st.sampled_from(list(SEEDS)))
def test_scaling_the_bills_scales_the_model_and_leaves_the_fraction_saved(scale, seed):
    simulated = bills_simulate(seed=seed, commodity="electricity")
    arguments = simulated.measure_arguments()
    original = billing_savings_measure(**arguments)

    scaled = billing_savings_measure(**{**arguments, "usage": simulated.usage * scale})

    assert scaled.model.kind == original.model.kind
    assert scaled.model.heating_balance_c == original.model.heating_balance_c
    assert scaled.model.cooling_balance_c == original.model.cooling_balance_c
    assert scaled.model.intercept == pytest.approx(original.model.intercept * scale, rel=1e-6)
    assert scaled.model.beta_hdd == pytest.approx(original.model.beta_hdd * scale, rel=1e-6)
    assert scaled.model.beta_cdd == pytest.approx(original.model.beta_cdd * scale, rel=1e-6)
    assert scaled.fractional_savings == pytest.approx(original.fractional_savings, abs=1e-9)
    assert scaled.fractional_savings_uncertainty == pytest.approx(
        original.fractional_savings_uncertainty, rel=1e-6
    )


def test_bills_of_no_gas_at_all_are_refused():
    data = bills([30] * 13)
    data["usage"][:] = 0.0

    with pytest.raises(DataInsufficient) as refusal:
        billing_baseline_fit(**data, commodity="gas")

    assert refusal.value.reasons == ["the baseline bills' mean usage is not positive"]
