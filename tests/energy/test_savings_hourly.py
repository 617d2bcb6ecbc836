"""The CalTRACK hourly method on synthetic hourly use with known occupancy and temperature
response: it recovers the generating schedule, slopes and savings; sufficiency; local time."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from energy.savings.caltrack import DataInsufficient
from energy.savings.hourly import (
    BIN_ENDPOINTS_C,
    hour_of_week,
    hourly_baseline_fit,
    hourly_baseline_sufficiency,
    hourly_savings_measure,
)
from energy.savings.simulate_hourly import DEFAULT_OCCUPIED_HOURS_OF_WEEK, hourly_simulate

SAPPORO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
START = date(2023, 1, 1)
INTERVENTION = date(2024, 1, 1)  # the baseline is 2023, the reporting period 2024
YEAR_HOURS = 365 * 24
SCHEDULE = np.zeros(168, dtype=bool)
SCHEDULE[list(DEFAULT_OCCUPIED_HOURS_OF_WEEK)] = True


def two_years(seed=1, zone=SAPPORO, **parameters):
    return hourly_simulate(
        seed=seed,
        zone=zone,
        start=START,
        days=731,
        reduction=0.1,
        reduction_start=INTERVENTION,
        **parameters,
    )


def baseline_fit(simulated, *, usage=None, temperature_c=None, zone=None):
    """The first 365 local days of a simulation starting at local midnight."""
    return hourly_baseline_fit(
        hours=simulated.hours[:YEAR_HOURS],
        usage=(simulated.usage if usage is None else usage)[:YEAR_HOURS],
        temperature_c=(simulated.temperature_c if temperature_c is None else temperature_c)[
            :YEAR_HOURS
        ],
        zone=zone or simulated.zone,
    )


@pytest.fixture(scope="module")
def sapporo():
    return two_years(seed=1)


@pytest.fixture(scope="module")
def sapporo_model(sapporo):
    return baseline_fit(sapporo)


# --- Recovering the generating parameters -----------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_occupancy_found_is_the_generating_schedule_in_every_month(seed):
    model = baseline_fit(two_years(seed=seed))

    assert [segment.month for segment in model.segments] == list(range(1, 13))
    for segment in model.segments:
        matching = int((np.array(segment.occupied) == SCHEDULE).sum())
        assert matching >= 0.95 * 168, (segment.month, matching)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_predictions_match_the_noiseless_truth_in_and_out_of_sample(seed):
    simulated = two_years(seed=seed)
    model = baseline_fit(simulated)

    prediction = model.predict(hours=simulated.hours, temperature_c=simulated.temperature_c)
    truth = simulated.counterfactual_kwh
    for period in (slice(0, YEAR_HOURS), slice(YEAR_HOURS, None)):  # baseline, next year
        error = prediction[period] - truth[period]
        mean = truth[period].mean()
        # The observations' noise is 15 % per hour (CV(RMSE) ~0.18); each hour-of-week
        # coefficient rests on about 13 weeks, so ~5.5 % is what estimation allows.
        assert np.sqrt(np.mean(error**2)) / mean < 0.07
        assert abs(error.mean()) / mean < 0.01
    assert 0.15 < model.cvrmse < 0.21
    assert model.r_squared > 0.9
    assert abs(model.nmbe) < 0.005
    assert model.n_hours == YEAR_HOURS
    assert model.coverage == 1.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_temperature_response_per_degree_is_the_generating_slope(seed):
    # Balance points on bin endpoints (65 and 75 °F), so the generator lies inside the model;
    # noise 5 %. Slopes read as the change in prediction per °C at a fixed hour of week.
    simulated = two_years(
        seed=seed,
        noise=0.05,
        heating_balance_c=BIN_ENDPOINTS_C[3],
        cooling_balance_c=BIN_ENDPOINTS_C[4],
    )
    model = baseline_fit(simulated)
    load = simulated.load

    def per_degree(day: date, hour: int, temperature_c: float) -> float:
        start = datetime(day.year, day.month, day.day, hour, tzinfo=SAPPORO).astimezone(UTC)
        hours = np.array([np.datetime64(start.replace(tzinfo=None), "s")] * 2)
        low, high = model.predict(hours=hours, temperature_c=np.array([-0.5, 0.5]) + temperature_c)
        return high - low

    # Tuesday 19:00 is occupied, Tuesday 03:00 is not (local time).
    for hour, occupied, heating in (
        (19, True, load.heating_kw_per_c_occupied),
        (3, False, load.heating_kw_per_c_unoccupied),
    ):
        assert SCHEDULE[24 + hour] == occupied
        # Two January bins (below 30 °F, 30-45 °F) and April's 45-55 °F bin.
        for day, temperature_c in (
            (date(2023, 1, 17), -5.0),
            (date(2023, 1, 17), 3.0),
            (date(2023, 4, 18), 10.0),
        ):
            assert per_degree(day, hour, temperature_c) == pytest.approx(-heating, rel=0.08)
        assert per_degree(date(2023, 8, 15), hour, 27.0) == pytest.approx(
            load.cooling_kw_per_c, rel=0.12
        )
        segment = model.segments[0]
        assert segment.slope_kwh_per_c(occupied=occupied, temperature_c=-5.0) == pytest.approx(
            -heating, rel=0.08
        )


def test_every_temperature_bin_has_its_20_hours_and_winter_keeps_the_cold_bins(
    sapporo, sapporo_model
):
    local_month = np.array(
        [
            datetime.fromtimestamp(s, SAPPORO).month
            for s in sapporo.hours[:YEAR_HOURS].astype(np.int64).tolist()
        ]
    )
    temperature = sapporo.temperature_c[:YEAR_HOURS]
    occupied = sapporo.occupied[:YEAR_HOURS]
    for segment in sapporo_model.segments:
        months = {(segment.month - 2) % 12 + 1, segment.month, segment.month % 12 + 1}
        rows = np.isin(local_month, list(months))
        for state, endpoints in (
            (occupied, segment.occupied_endpoints_c),
            (~occupied, segment.unoccupied_endpoints_c),
        ):
            assert set(endpoints) <= set(BIN_ENDPOINTS_C)
            bins = np.searchsorted(endpoints, temperature[rows & state], side="left")
            counts = np.bincount(bins, minlength=len(endpoints) + 1)
            assert counts.min() >= 20, (segment.month, endpoints, counts)  # CalTRACK 3.9.1.2
    january = sapporo_model.segments[0]
    assert january.occupied_endpoints_c[0] == BIN_ENDPOINTS_C[0]  # 30 °F: Sapporo winters
    assert BIN_ENDPOINTS_C[-1] not in january.occupied_endpoints_c  # no 90 °F in January


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_ten_percent_reduction_is_measured_within_a_point(seed):
    simulated = two_years(seed=seed)

    result = hourly_savings_measure(
        hours=simulated.hours,
        usage=simulated.usage,
        temperature_c=simulated.temperature_c,
        zone=SAPPORO,
        intervention=INTERVENTION,
    )

    assert result.baseline_start == date(2023, 1, 1)
    assert result.baseline_end == date(2023, 12, 31)
    assert result.reporting_start == INTERVENTION
    assert result.reporting_end == date(2024, 12, 31)
    assert result.reporting_hours == 366 * 24
    assert result.fractional_savings == pytest.approx(0.10, abs=0.01)
    true_avoided = 0.1 * simulated.counterfactual_kwh[YEAR_HOURS:].sum()
    assert result.avoided == pytest.approx(true_avoided, rel=0.06)
    assert result.avoided == pytest.approx(result.predicted - result.observed)
    assert 0 < result.avoided_uncertainty < 0.2 * result.avoided
    assert result.fractional_savings_uncertainty == pytest.approx(
        result.avoided_uncertainty / result.avoided
    )

    body = result.as_dict()
    assert set(body) == {
        "method",
        "intervention",
        "baseline_start",
        "baseline_end",
        "reporting_start",
        "reporting_end",
        "reporting_hours",
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
    }
    assert body["method"] == "hourly"
    assert body["intervention"] == "2024-01-01"
    assert body["confidence"] == 0.9
    assert len(body["model"]["segments"]) == 12
    assert len(body["model"]["segments"][0]["occupancy"]) == 168
    json.dumps(body, allow_nan=False)  # JSON-ready: no NaN, no numpy types
    assert len(json.dumps(body)) < 20_000  # a summary, not 12 x 180 coefficients


def test_reporting_end_limits_the_reporting_period(sapporo):
    result = hourly_savings_measure(
        hours=sapporo.hours,
        usage=sapporo.usage,
        temperature_c=sapporo.temperature_c,
        zone=SAPPORO,
        intervention=INTERVENTION,
        reporting_end=date(2024, 3, 31),
    )

    assert result.reporting_end == date(2024, 3, 31)
    assert result.reporting_hours == (31 + 29 + 31) * 24
    assert result.fractional_savings == pytest.approx(0.10, abs=0.02)


def test_no_saving_is_measured_as_none_within_its_uncertainty(sapporo):
    usage = sapporo.usage.copy()
    usage[YEAR_HOURS:] /= 0.9  # undo the reduction: nothing saved

    result = hourly_savings_measure(
        hours=sapporo.hours,
        usage=usage,
        temperature_c=sapporo.temperature_c,
        zone=SAPPORO,
        intervention=INTERVENTION,
    )

    assert result.fractional_savings == pytest.approx(0.0, abs=0.01)
    assert abs(result.avoided) < result.avoided_uncertainty * 2


# --- Sufficiency (CalTRACK 2.2) -----------------------------------------------------------------


def days_of(simulated, first: date, days: int) -> np.ndarray:
    """Rows of these local days."""
    local = np.array(
        [
            datetime.fromtimestamp(s, simulated.zone).date()
            for s in simulated.hours.astype(np.int64).tolist()
        ]
    )
    return (local >= first) & (local < first + timedelta(days=days))


def test_a_month_with_too_few_hours_is_refused_naming_the_month(sapporo):
    usage = sapporo.usage.copy()
    usage[days_of(sapporo, date(2023, 3, 10), 4)] = np.nan  # 96 of March's 744 hours

    with pytest.raises(DataInsufficient) as refused:
        baseline_fit(sapporo, usage=usage)

    assert len(refused.value.reasons) == 1
    assert refused.value.reasons == hourly_baseline_sufficiency(
        hours=sapporo.hours[:YEAR_HOURS],
        usage=usage[:YEAR_HOURS],
        temperature_c=sapporo.temperature_c[:YEAR_HOURS],
        zone=SAPPORO,
    )
    reason = refused.value.reasons[0]
    assert reason.startswith("March: 648 of the baseline's 744 hours (87.1 %)")
    assert "2.2.1.2" in reason
    assert "over 90 %" in reason


def test_three_missing_days_in_a_month_are_allowed(sapporo):
    usage = sapporo.usage.copy()
    usage[days_of(sapporo, date(2023, 3, 10), 3)] = np.nan  # 90.3 % of March remains

    model = baseline_fit(sapporo, usage=usage)

    assert model.n_hours == YEAR_HOURS - 72
    assert model.segments[2].n_hours == 744 - 72


def test_zero_electricity_counts_as_missing(sapporo):
    usage = sapporo.usage.copy()
    usage[days_of(sapporo, date(2023, 7, 1), 4)] = 0.0

    with pytest.raises(DataInsufficient) as refused:
        baseline_fit(sapporo, usage=usage)

    assert refused.value.reasons[0].startswith("July: 648 of the baseline's 744 hours")
    assert "96 lack usage or have zero" in refused.value.reasons[0]


def test_gas_is_refused():
    simulated = hourly_simulate(seed=1, zone=SAPPORO, start=START, days=400)
    arguments = {
        "hours": simulated.hours,
        "usage": simulated.usage,
        "temperature_c": simulated.temperature_c,
        "zone": SAPPORO,
        "commodity": "gas",
    }

    with pytest.raises(DataInsufficient, match=r"electric load.*daily method"):
        hourly_baseline_fit(**arguments)
    with pytest.raises(DataInsufficient, match=r"electric load.*daily method"):
        hourly_savings_measure(**arguments, intervention=date(2024, 1, 1))


def test_temperature_gaps_up_to_six_hours_are_interpolated_longer_ones_refused(sapporo):
    temperature_c = sapporo.temperature_c.copy()
    temperature_c[1000:1006] = np.nan
    model = baseline_fit(sapporo, temperature_c=temperature_c)
    assert model.n_hours == YEAR_HOURS

    temperature_c[2000:2007] = np.nan
    with pytest.raises(DataInsufficient) as refused:
        baseline_fit(sapporo, temperature_c=temperature_c)

    start = sapporo.hours[2000].astype(datetime).replace(tzinfo=UTC)
    assert refused.value.reasons == [
        f"the temperature is missing for 7 consecutive hours from {start:%Y-%m-%d %H:%M} UTC "
        "(1 gap(s) longer than 6 hours); CalTRACK 2.2.4.1 allows at most 6, which are "
        "interpolated"
    ]


def test_negative_usage_is_refused(sapporo):
    usage = sapporo.usage.copy()
    usage[100] = -0.2

    with pytest.raises(DataInsufficient, match=r"negative usage in 1 hours.*2.3.5"):
        baseline_fit(sapporo, usage=usage)


def test_a_baseline_starting_late_is_refused_naming_the_short_month(sapporo):
    late = days_of(sapporo, date(2023, 1, 5), 800)  # no data for 1-4 January 2023

    with pytest.raises(DataInsufficient) as refused:
        hourly_savings_measure(
            hours=sapporo.hours[late],
            usage=sapporo.usage[late],
            temperature_c=sapporo.temperature_c[late],
            zone=SAPPORO,
            intervention=INTERVENTION,
        )

    reasons = refused.value.reasons
    assert any(r.startswith("January: 648 of the baseline's 744 hours") for r in reasons)
    assert any("missing for 96 consecutive hours" in r for r in reasons)


def test_a_baseline_of_six_months_names_the_months_it_lacks(sapporo):
    half = slice(0, 181 * 24)

    with pytest.raises(DataInsufficient, match=r"no hours in July, August, .*, December"):
        hourly_baseline_fit(
            hours=sapporo.hours[half],
            usage=sapporo.usage[half],
            temperature_c=sapporo.temperature_c[half],
            zone=SAPPORO,
        )


def test_a_baseline_longer_than_365_days_is_refused(sapporo):
    with pytest.raises(DataInsufficient, match="spans 400 days"):
        hourly_baseline_fit(
            hours=sapporo.hours[: 400 * 24],
            usage=sapporo.usage[: 400 * 24],
            temperature_c=sapporo.temperature_c[: 400 * 24],
            zone=SAPPORO,
        )


def test_too_short_a_reporting_period_or_none_is_refused(sapporo):
    short = slice(0, YEAR_HOURS + 10 * 24)
    with pytest.raises(DataInsufficient, match="only 240 reporting hours"):
        hourly_savings_measure(
            hours=sapporo.hours[short],
            usage=sapporo.usage[short],
            temperature_c=sapporo.temperature_c[short],
            zone=SAPPORO,
            intervention=INTERVENTION,
        )
    with pytest.raises(DataInsufficient, match="no data on or after the intervention"):
        hourly_savings_measure(
            hours=sapporo.hours[:YEAR_HOURS],
            usage=sapporo.usage[:YEAR_HOURS],
            temperature_c=sapporo.temperature_c[:YEAR_HOURS],
            zone=SAPPORO,
            intervention=INTERVENTION,
        )


def test_hours_must_be_consecutive(sapporo):
    hours = sapporo.hours[:YEAR_HOURS].copy()
    hours[10:] += np.timedelta64(3600, "s")

    with pytest.raises(ValueError, match="consecutive"):
        hourly_baseline_fit(
            hours=hours,
            usage=sapporo.usage[:YEAR_HOURS],
            temperature_c=sapporo.temperature_c[:YEAR_HOURS],
            zone=SAPPORO,
        )


# --- Local time and daylight saving time --------------------------------------------------------


def utc_hours(first: str, count: int) -> np.ndarray:
    return np.datetime64(first, "s") + np.arange(count) * np.timedelta64(3600, "s")


def test_hour_of_week_is_local_time_across_a_23_hour_day():
    # Sunday 10 March 2024 in New York: midnight EST is 05:00 UTC; 02:00 does not exist.
    hours = utc_hours("2024-03-10T05:00", 24)

    assert hour_of_week(hours=hours, zone=NEW_YORK).tolist() == [
        144,
        145,
        *range(147, 168),
        0,  # Monday 00:00 EDT is 04:00 UTC: the 23-hour day did not shift Monday
    ]
    monday = utc_hours("2024-03-11T04:00", 24)
    assert hour_of_week(hours=monday, zone=NEW_YORK).tolist() == list(range(24))


def test_hour_of_week_is_local_time_across_a_25_hour_day():
    # Sunday 3 November 2024: 01:00 happens twice (EDT, then EST).
    hours = utc_hours("2024-11-03T04:00", 26)

    assert hour_of_week(hours=hours, zone=NEW_YORK).tolist() == [
        144,
        145,
        145,
        *range(146, 168),
        0,
    ]


def test_hour_of_week_at_a_half_hour_offset_floors_to_the_local_hour():
    # India is UTC+05:30: the hour from 18:30 UTC Sunday starts at 00:00 local Monday.
    hours = utc_hours("2024-01-07T18:00", 2)  # Sunday 23:30 and Monday 00:30 local

    assert hour_of_week(hours=hours, zone=ZoneInfo("Asia/Kolkata")).tolist() == [167, 0]


def test_the_schedule_stays_with_the_clock_through_daylight_saving_time():
    simulated = two_years(seed=4, zone=NEW_YORK)

    model = baseline_fit(simulated)

    for segment in model.segments:  # March and November hold a DST change, July is all EDT
        matching = int((np.array(segment.occupied) == SCHEDULE).sum())
        assert matching >= 0.95 * 168, (segment.month, matching)
    prediction = model.predict(hours=simulated.hours, temperature_c=simulated.temperature_c)
    error = prediction - simulated.counterfactual_kwh
    assert np.sqrt(np.mean(error[:YEAR_HOURS] ** 2)) / simulated.counterfactual_kwh.mean() < 0.07

    # The check can tell: with New York's standard offset all year, summer is an hour off.
    standard = baseline_fit(simulated, zone=timezone(timedelta(hours=-5)))
    july = int((np.array(standard.segments[6].occupied) == SCHEDULE).sum())
    assert july < 0.9 * 168


def test_predict_is_nan_where_the_temperature_is(sapporo_model, sapporo):
    temperature_c = sapporo.temperature_c[:48].copy()
    temperature_c[5] = np.nan

    prediction = sapporo_model.predict(hours=sapporo.hours[:48], temperature_c=temperature_c)

    assert np.isnan(prediction[5])
    assert np.isfinite(np.delete(prediction, 5)).all()


def test_each_month_weighs_itself_1_and_its_neighbours_half():
    # Use that depends only on the local month, at one temperature: each month's hour-of-week
    # coefficient is then the weighted mean of its rows (CalTRACK 3.7.5).
    simulated = hourly_simulate(seed=1, zone=SAPPORO, start=START, days=365)
    local = [datetime.fromtimestamp(s, SAPPORO) for s in simulated.hours.astype(np.int64).tolist()]
    month = np.array([t.month for t in local])
    tow = np.array([t.weekday() * 24 + t.hour for t in local])
    usage = month.astype(float)  # 1 kWh in January ... 12 kWh in December

    model = hourly_baseline_fit(
        hours=simulated.hours, usage=usage, temperature_c=np.full(len(usage), 5.0), zone=SAPPORO
    )

    for segment in model.segments:
        before, after = (segment.month - 2) % 12 + 1, segment.month % 12 + 1
        weight = np.where(month == segment.month, 1.0, 0.0) + 0.5 * np.isin(month, [before, after])
        rows = tow == 10  # Monday 10:00
        expected = (weight[rows] * usage[rows]).sum() / weight[rows].sum()
        assert segment.hour_of_week_kwh[10] == pytest.approx(expected)
        assert segment.n_hours == (month == segment.month).sum()


def test_the_simulated_climate_is_sapporo_like():
    simulated = hourly_simulate(seed=1, zone=SAPPORO, start=START, days=5 * 365)
    month = np.array(
        [
            datetime.fromtimestamp(s, SAPPORO).month
            for s in simulated.hours.astype(np.int64).tolist()
        ]
    )

    assert simulated.temperature_c[month == 1].mean() == pytest.approx(-3.5, abs=1.0)
    assert simulated.temperature_c[month == 8].mean() == pytest.approx(22.0, abs=1.0)
    assert (np.diff(simulated.hours) == np.timedelta64(3600, "s")).all()
    assert (simulated.usage > 0).all()
