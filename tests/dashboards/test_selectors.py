"""Month so far: the same complete day numbers in all three months."""

from datetime import date

import pytest
from django.utils import timezone

from config.errors import NotFound
from energy.models import DailyUsage
from energy.savings.models import Recommendation
from energy.usage import selectors
from tests import factories
from tests.dashboards.conftest import home_create

pytestmark = pytest.mark.django_db


def make_home(today: date):
    region = factories.RegionFactory(name="Sapporo")
    return home_create(
        region=region,
        owner=factories.UserFactory(),
        today=today,
        serial_prefix="X",
        with_readings=False,
    )


def test_the_end_of_march_is_compared_on_februarys_days_only():
    today = date(2026, 3, 31)
    home = make_home(today)
    [electricity, _gas] = selectors.month_so_far(
        premise=home.premise, today=today, hourly_shares={}
    )
    assert electricity.day_numbers == list(range(1, 29))  # February 2026 has 28 days
    assert electricity.this.end == date(2026, 3, 28)
    assert electricity.last_month.end == date(2026, 2, 28)
    assert electricity.this.days == electricity.last_month.days == electricity.last_year.days


def test_a_partly_delivered_day_is_left_out_of_every_period():
    today = date(2026, 11, 27)
    home = make_home(today)
    DailyUsage.objects.filter(meter=home.electricity, date=date(2026, 11, 26)).update(
        intervals=10, total=2.0
    )
    DailyUsage.objects.filter(meter=home.electricity, date=date(2026, 11, 3)).delete()
    electricity = selectors.month_so_far(premise=home.premise, today=today, hourly_shares={})[0]
    assert electricity.day_numbers == [n for n in range(1, 26) if n != 3]
    assert electricity.this.use == pytest.approx(10.0 * 24)


def test_on_the_first_of_the_month_there_is_nothing_to_compare_yet():
    today = date(2026, 11, 1)
    home = make_home(today)
    electricity = selectors.month_so_far(premise=home.premise, today=today, hourly_shares={})[0]
    assert electricity.this is None and electricity.day_numbers == []


def test_last_year_missing_is_none_not_zero():
    today = date(2026, 11, 27)
    home = make_home(today)
    DailyUsage.objects.filter(meter=home.gas, date=date(2025, 11, 5)).delete()
    gas = selectors.month_so_far(premise=home.premise, today=today, hourly_shares={})[1]
    assert gas.last_year is None
    assert gas.last_month is not None and gas.this is not None


def test_periods_step_across_year_ends():
    january = selectors.period_parse("month", "2026-01")
    assert january.shifted(-1).key == "2025-12"
    assert selectors.period_parse("day", "2026-01-01").shifted(-1).key == "2025-12-31"
    assert january.shifted(12).key == "2027-01"


@pytest.mark.parametrize(("kind", "key"), [("week", "2026-01"), ("month", "2026-1"), ("day", "x")])
def test_a_key_that_names_no_period_is_not_found(kind, key):
    with pytest.raises(NotFound):
        selectors.period_parse(kind, key)


def test_another_customers_premise_meter_and_recommendation_are_not_found():
    region, today = factories.RegionFactory(name="Sapporo"), date(2026, 3, 31)
    mine, theirs = (
        home_create(
            region=region,
            owner=factories.UserFactory(),
            today=today,
            serial_prefix=prefix,
            with_readings=False,
        )
        for prefix in ("MINE", "THEIRS")
    )
    premises = selectors.customer_premises(user=mine.premise.owner)
    assert selectors.premise_pick(premises=premises, premise_id=mine.premise.pk) == mine.premise
    recommendation = Recommendation.objects.create(
        kind="standby", premise=theirs.premise, computed_at=timezone.now(), confidence="low"
    )
    with pytest.raises(NotFound):
        selectors.premise_pick(premises=premises, premise_id=theirs.premise.pk)
    with pytest.raises(NotFound):
        selectors.meter_pick(premises=premises, meter_id=theirs.gas.pk)
    with pytest.raises(NotFound):
        selectors.premise_recommendation(premises=premises, recommendation_id=recommendation.pk)


def test_the_hourly_share_is_read_from_the_electricity_bill_forecast_alone():
    home = make_home(date(2026, 3, 31))
    share = [1 / 24] * 24
    common = {"premise": home.premise, "computed_at": timezone.now(), "confidence": "medium"}
    recommendations = [
        Recommendation.objects.create(
            kind=kind, meter=meter, unit=meter.unit, basis={"hourly_share": share}, **common
        )
        for kind, meter in [
            ("bill_forecast", home.electricity),
            ("standby", home.electricity),
            ("heating", home.gas),
        ]
    ]

    assert selectors.hourly_share_for(meter=home.electricity) == share
    assert selectors.hourly_share_for(meter=home.gas) is None
    assert selectors.hourly_shares(recommendations) == {home.electricity.pk: share}
