"""``daily_means_by_owner``: the PostgreSQL statement and the portable path give each period the
mean a customer's days would give when worked out by hand.

One small data set: an owner with an electricity and a gas meter, one whose two homes each have
an electricity meter (their days overlap only in part), one with a meter but no days, and one
with nothing; the days have gaps and awkward values.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy.models import DailyUsage
from energy.selectors import daily_means_by_owner
from tests import factories

pytestmark = pytest.mark.usefixtures("postgresql")

FIRST_DAY = date(2026, 1, 1)
DAYS = 40
METHODS = ("sql", "portable")


def day(offset: int) -> date:
    return FIRST_DAY + timedelta(days=offset)


def usage_write(meter, values: dict[int, float]) -> None:
    DailyUsage.objects.bulk_create(
        DailyUsage(
            meter=meter,
            date=day(offset),
            total=value,
            baseload=0.0,
            peak=value,
            peak_at=timezone.now(),
            night_total=0.0,
            intervals=48,
        )
        for offset, value in values.items()
    )


@pytest.fixture
def owners(db) -> dict[str, int]:
    """Owner ids by name, with their days written (see the module docstring)."""
    region = factories.RegionFactory()
    one_home = factories.UserFactory(username="one-home")
    home = factories.PremiseFactory(owner=one_home, region=region)
    usage_write(
        factories.MeterFactory(premise=home),
        {i: 1 / 3 + i * 0.1 for i in range(DAYS) if i % 7 != 3},
    )
    # Gas is another commodity: never in an electricity mean.
    usage_write(
        factories.MeterFactory(premise=home, commodity="gas", unit="m3"),
        {i: 1000.0 + i for i in range(DAYS)},
    )
    two_homes = factories.UserFactory(username="two-homes")
    for first, last, value in ((0, 25, 0.30000000000000004), (15, DAYS, 29.999999999999996)):
        premise = factories.PremiseFactory(owner=two_homes, region=region)
        usage_write(
            factories.MeterFactory(premise=premise),
            {i: value * (1 + i % 5) for i in range(first, last) if i % 11 != 0},
        )
    no_days = factories.UserFactory(username="no-days")
    factories.MeterFactory(premise=factories.PremiseFactory(owner=no_days, region=region))
    nothing = factories.UserFactory(username="nothing")
    return {u.username: u.pk for u in (one_home, two_homes, no_days, nothing)}


def expected_means(periods, commodity: str = "electricity") -> list[float | None]:
    """Each period's mean of the owner's daily totals (meters summed per day), by hand."""
    totals: dict[tuple[int, date], float] = {}
    for owner_id, when, total in DailyUsage.objects.filter(meter__commodity=commodity).values_list(
        "meter__premise__owner_id", "date", "total"
    ):
        totals[owner_id, when] = totals.get((owner_id, when), 0.0) + total
    means = []
    for owner_id, first, last in periods:
        inside = [t for (o, when), t in totals.items() if o == owner_id and first <= when <= last]
        means.append(sum(inside) / len(inside) if inside else None)
    return means


def assert_same_means(got: list, expected: list) -> None:
    assert [m is None for m in got] == [m is None for m in expected]
    # Sums in another order may differ in the last bit.
    assert [m for m in got if m is not None] == pytest.approx(
        [m for m in expected if m is not None], rel=1e-12
    )


@pytest.mark.parametrize("method", METHODS)
def test_means_over_days_with_data_summed_across_the_owners_meters(owners, method):
    periods = [
        (owners["one-home"], day(0), day(DAYS - 1)),
        (owners["one-home"], day(3), day(3)),  # a gap: no mean
        (owners["two-homes"], day(10), day(30)),  # both homes on the overlapping days
        (owners["two-homes"], day(30), day(20)),  # ends before it starts: empty
        (owners["no-days"], day(0), day(DAYS - 1)),
        (owners["nothing"], day(0), day(DAYS - 1)),
        (owners["one-home"], day(0), day(DAYS - 1)),  # the same period twice: both answered
    ]
    means = daily_means_by_owner(commodity="electricity", periods=periods, method=method)
    assert_same_means(means, expected_means(periods))
    assert means[1] is None and means[3] is None and means[4] is None and means[5] is None
    assert means[0] == means[6]


def test_gas_means_read_only_gas_meters(owners):
    periods = [(owners["one-home"], day(0), day(9)), (owners["two-homes"], day(0), day(9))]
    for method in METHODS:
        means = daily_means_by_owner(commodity="gas", periods=periods, method=method)
        assert means == [pytest.approx(1004.5), None]


def test_no_periods_no_query(owners, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert daily_means_by_owner(commodity="electricity", periods=[]) == []


period_offsets = st.lists(
    st.tuples(
        st.sampled_from(["one-home", "two-homes", "no-days", "nothing"]),
        st.integers(min_value=-5, max_value=DAYS + 5),
        st.integers(min_value=-3, max_value=DAYS),
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(offsets=period_offsets)
def test_any_periods_give_the_same_means_on_both_paths(owners, offsets):
    periods = [(owners[name], day(start), day(start + length)) for name, start, length in offsets]
    expected = expected_means(periods)
    for method in METHODS:
        assert_same_means(
            daily_means_by_owner(commodity="electricity", periods=periods, method=method),
            expected,
        )
