"""GET /api/v1/meters/<serial>/savings/ and the daily series it is built from."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from energy.access import DATA_TEAM
from energy.bills.models import BillingPeriod
from energy.models import DailyUsage, WeatherObservation, intervals_per_day
from energy.savings.caltrack import heating_degree_days
from energy.savings.services import (
    daily_totals_filled,
    meter_daily_series,
)
from energy.savings.simulate_bills import bills_simulate
from tests import factories

FIRST_DAY = date(2025, 1, 1)
INTERVENTION = date(2026, 1, 15)
LAST_DAY = date(2026, 4, 30)
URL = "/api/v1/meters/{}/savings/"


def daily_rows(meter, *, saving=0.12, missing_intervals_on=()):
    """A year and a half of DailyUsage and weather for the meter's region, 12 % less after."""
    rng = np.random.default_rng(3)
    days = (LAST_DAY - FIRST_DAY).days + 1
    dates = [FIRST_DAY + timedelta(days=i) for i in range(days)]
    temperature_c = (
        8 - 14 * np.cos(2 * np.pi * (np.arange(days) - 15) / 365) + rng.normal(0, 3, days)
    )
    usage = 3.0 + 0.5 * heating_degree_days(temperature_c, 16.94) + rng.normal(0, 0.3, days)
    after = np.array([d >= INTERVENTION for d in dates])
    usage[after] *= 1 - saving
    WeatherObservation.objects.bulk_create(
        WeatherObservation(region=meter.premise.region, date=d, temperature_mean_c=t)
        for d, t in zip(dates, temperature_c, strict=True)
    )
    tz = ZoneInfo("Asia/Tokyo")
    DailyUsage.objects.bulk_create(
        DailyUsage(
            meter=meter,
            date=d,
            total=u * (0.25 if d in missing_intervals_on else 1.0),
            baseload=u / 48,
            peak=u / 10,
            peak_at=datetime.combine(d, time(18), tzinfo=tz),
            night_total=u / 8,
            intervals=12 if d in missing_intervals_on else 48,
        )
        for d, u in zip(dates, usage, strict=True)
    )


def test_daily_totals_are_filled_for_missing_intervals_up_to_half():
    filled = daily_totals_filled(
        totals=np.array([10.0, 7.5, 5.0, 4.9]), intervals=np.array([48, 36, 24, 23]), expected=48
    )
    assert filled[:3].tolist() == [10.0, 10.0, 10.0]
    assert np.isnan(filled[3])  # more than half missing: CalTRACK 2.2.2.1


def test_expected_intervals_follow_daylight_saving_changes():
    assert (
        intervals_per_day(day=date(2026, 3, 8), interval_minutes=30, time_zone="Asia/Tokyo") == 48
    )
    spring = intervals_per_day(
        day=date(2026, 3, 8), interval_minutes=30, time_zone="America/New_York"
    )
    assert spring == 46


@pytest.mark.django_db
def test_daily_series_marks_missing_days_and_fills_partial_ones():
    meter = factories.MeterFactory(serial="G-9")
    daily_rows(meter, missing_intervals_on={date(2025, 3, 1)})
    DailyUsage.objects.filter(meter=meter, date=date(2025, 3, 2)).delete()

    dates, usage, temperature_c = meter_daily_series(
        meter=meter, start=date(2025, 2, 28), end=date(2025, 3, 3)
    )

    assert dates.astype(date).tolist() == [date(2025, 2, 28) + timedelta(days=i) for i in range(4)]
    assert np.isnan(usage[1])  # only a quarter of the intervals
    assert np.isnan(usage[2])  # no rollup at all
    assert np.isfinite(usage[[0, 3]]).all()
    assert np.isfinite(temperature_c).all()


@pytest.mark.django_db
def test_owner_sees_the_measured_savings_of_their_meter(client):
    meter = factories.MeterFactory(serial="G-1", commodity="gas", unit="m3")
    daily_rows(meter)
    client.force_login(meter.premise.owner)

    response = client.get(URL.format("G-1"), {"intervention": INTERVENTION.isoformat()})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["meter"] == "G-1"
    assert body["unit"] == "m3"
    assert body["fractional_savings"] == pytest.approx(0.12, abs=0.015)
    assert body["reporting_days"] == (LAST_DAY - INTERVENTION).days + 1
    assert body["model"]["kind"] == "hdd_only"
    assert body["model"]["heating_balance_c"] == pytest.approx(16.94, abs=1.5)
    assert body["cvrmse"] > 0
    assert body["fractional_savings_uncertainty"] > 0


@pytest.mark.django_db
def test_data_team_sees_any_meter_and_another_customer_gets_404(client, session_client_for):
    meter = factories.MeterFactory(serial="G-2", commodity="gas", unit="m3")
    daily_rows(meter)
    data_team = session_client_for(factories.UserFactory(groups=[DATA_TEAM]))
    stranger = session_client_for(factories.UserFactory())
    params = {"intervention": INTERVENTION.isoformat()}

    assert data_team.get(URL.format("G-2"), params).status_code == 200
    response = stranger.get(URL.format("G-2"), params)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(URL.format("G-2"), params).status_code in (401, 403)


@pytest.mark.django_db
def test_an_intervention_without_a_full_baseline_is_422_with_reasons(client):
    meter = factories.MeterFactory(serial="G-3", commodity="gas", unit="m3")
    daily_rows(meter)
    client.force_login(meter.premise.owner)

    response = client.get(URL.format("G-3"), {"intervention": "2025-06-01"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "insufficient_data"
    assert (
        "214 of 365 baseline days lack usage (214) or temperature (214)"
        in body["details"]["reasons"][0]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "intervention"),
        ({"intervention": "15/01/2026"}, "intervention"),
        ({"intervention": "2999-01-01"}, "intervention"),
        ({"intervention": "2026-01-15", "reporting_end": "2026-01-01"}, "reporting_end"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(client, params, field):
    meter = factories.MeterFactory(serial="G-4", commodity="gas", unit="m3")
    client.force_login(meter.premise.owner)

    response = client.get(URL.format("G-4"), params)

    assert response.status_code == 400
    assert field in response.json()["details"]


@pytest.mark.django_db
def test_the_billing_method_measures_a_meters_bills_against_its_regions_weather(client):
    bills = bills_simulate(seed=11, commodity="gas")
    meter = factories.MeterFactory(serial="G-BILLS", commodity="gas", unit="m3")
    BillingPeriod.objects.bulk_create(
        BillingPeriod(
            meter=meter,
            start=start.astype(date),
            end=end.astype(date),
            usage=float(value),
            source="csv",
        )
        for start, end, value in zip(
            bills.period_starts, bills.period_ends, bills.usage, strict=True
        )
    )
    WeatherObservation.objects.bulk_create(
        WeatherObservation(
            region=meter.premise.region, date=day.astype(date), temperature_mean_c=float(value)
        )
        for day, value in zip(bills.temperature_dates, bills.temperature_c, strict=True)
        if np.isfinite(value)
    )
    client.force_login(meter.premise.owner)

    response = client.get(
        URL.format("G-BILLS"),
        {"intervention": bills.intervention.isoformat(), "method": "billing"},
    )
    daily = client.get(URL.format("G-BILLS"), {"intervention": bills.intervention.isoformat()})

    body = response.json()
    assert response.status_code == 200, body
    assert body["method"] == "billing"
    assert body["unit"] == "m3"
    assert body["reporting_periods"] == bills.reporting_periods
    assert body["fractional_savings"] == pytest.approx(bills.true_fractional_savings, abs=0.03)
    assert daily.status_code == 422  # no daily use: the daily method says so
    assert daily.json()["code"] == "insufficient_data"


@pytest.mark.django_db
def test_a_meter_without_bills_is_422_by_the_billing_method_and_an_unknown_method_400(client):
    meter = factories.MeterFactory(serial="G-NOBILLS")
    client.force_login(meter.premise.owner)

    none = client.get(URL.format("G-NOBILLS"), {"intervention": "2025-06-01", "method": "billing"})
    unknown = client.get(URL.format("G-NOBILLS"), {"intervention": "2025-06-01", "method": "x"})

    assert none.status_code == 422
    assert "has no billing periods" in none.json()["details"]["reasons"][0]
    assert unknown.status_code == 400
    assert "method" in unknown.json()["details"]
