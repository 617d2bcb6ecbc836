"""Differencing cumulative registers into interval values (energy/interop/routeb/register.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from energy.interop.routeb.register import (
    NO_DATA,
    UNIT_EXPONENTS,
    Register,
    RegisterError,
    RegisterSettings,
    intervals_from_registers,
)

T0 = datetime(2026, 1, 14, 15, 0, tzinfo=UTC)  # 2026-01-15 00:00 in Japan
HALF_HOUR = timedelta(minutes=30)


def at(slot: int) -> datetime:
    return T0 + slot * HALF_HOUR


def registers(*values: int, first: int = 0) -> list[Register]:
    return [Register(at(first + i), value) for i, value in enumerate(values)]


def values_of(result) -> list[tuple[datetime, float]]:
    return [(interval.ts, interval.value_kwh) for interval in result.intervals]


def test_differences_labelled_by_the_interval_start():
    settings = RegisterSettings(unit_code=0x01, digits=6)  # 0.1 kWh
    result = intervals_from_registers(registers=registers(100, 103, 103, 110), settings=settings)
    assert values_of(result) == [(at(0), 0.3), (at(1), 0.0), (at(2), 0.7)]
    assert result.gaps == [] and result.no_data == []
    assert result.latest == Register(at(3), 110)


def test_wrap_around_at_the_effective_digits():
    settings = RegisterSettings(unit_code=0x00, digits=6)
    result = intervals_from_registers(registers=registers(999_998, 2), settings=settings)
    assert values_of(result) == [(at(0), 4.0)]


@pytest.mark.parametrize(
    ("unit_code", "coefficient", "counts", "kwh"),
    [
        (0x00, 1, 7, 7.0),
        (0x01, 1, 3, 0.3),
        (0x02, 1, 7, 0.07),
        (0x03, 40, 25, 1.0),
        (0x04, 1, 12345, 1.2345),
        (0x0A, 1, 2, 20.0),
        (0x0B, 1, 2, 200.0),
        (0x0C, 3, 2, 6000.0),
        (0x0D, 1, 2, 20000.0),
    ],
)
def test_value_times_coefficient_times_unit(unit_code, coefficient, counts, kwh):
    settings = RegisterSettings(coefficient=coefficient, unit_code=unit_code, digits=8)
    result = intervals_from_registers(registers=registers(1000, 1000 + counts), settings=settings)
    assert values_of(result) == [(at(0), kwh)]


def test_a_missing_slot_or_no_data_is_a_gap_not_a_spike():
    settings = RegisterSettings(digits=6)
    # slot 2 missing, slot 4 "no data": 1->3 and 3->5 span two intervals each.
    delivered = [
        Register(at(0), 10),
        Register(at(1), 11),
        Register(at(3), 15),
        Register(at(4), NO_DATA),
        Register(at(5), 19),
        Register(at(6), 20),
    ]
    result = intervals_from_registers(registers=delivered, settings=settings)
    assert values_of(result) == [(at(0), 1.0), (at(5), 1.0)]
    assert result.gaps == [(at(1), at(3)), (at(3), at(5))]
    assert result.no_data == [at(4)]


def test_previous_register_chains_only_when_earlier_and_adjacent():
    settings = RegisterSettings(digits=6)
    delivered = registers(20, 25, first=2)
    chained = intervals_from_registers(
        registers=delivered, settings=settings, previous=Register(at(1), 18)
    )
    assert chained.chained
    assert values_of(chained) == [(at(1), 2.0), (at(2), 5.0)]
    too_far = intervals_from_registers(
        registers=delivered, settings=settings, previous=Register(at(0), 10)
    )
    assert not too_far.chained
    assert too_far.gaps == [(at(0), at(2))]
    assert values_of(too_far) == [(at(2), 5.0)]
    late = intervals_from_registers(
        registers=delivered, settings=settings, previous=Register(at(9), 40)
    )  # the delivery is older than what was kept: within itself only
    assert not late.chained and values_of(late) == [(at(2), 5.0)]
    assert late.latest == Register(at(3), 25)


def test_impossible_registers_are_refused_with_the_reason():
    settings = RegisterSettings(digits=6)
    with pytest.raises(RegisterError, match="does not fit 6 effective digits") as exc:
        intervals_from_registers(registers=registers(5, 1_000_000), settings=settings)
    assert exc.value.details == {"index": 1, "value": 1_000_000}
    with pytest.raises(RegisterError, match="two different registers"):
        intervals_from_registers(
            registers=[Register(at(0), 5), Register(at(0), 6)], settings=settings
        )
    with pytest.raises(RegisterError, match="UTC offset"):
        intervals_from_registers(
            registers=[Register(datetime(2026, 1, 1), 5)],  # naive: the point
            settings=settings,
        )
    with pytest.raises(RegisterError, match="unit code"):
        RegisterSettings(unit_code=0x05)
    with pytest.raises(RegisterError, match="effective digits"):
        RegisterSettings(digits=9)


# --- Properties ----------------------------------------------------------------------------

register_settings = st.builds(
    RegisterSettings,
    coefficient=st.integers(1, 1000),
    unit_code=st.sampled_from(sorted(UNIT_EXPONENTS)),
    digits=st.integers(1, 8),
)


@st.composite
def metered(draw):
    """Settings, a start register, and counts per interval (each less than one wrap)."""
    settings = draw(register_settings)
    modulus = settings.modulus
    start = draw(st.integers(0, modulus - 1))
    counts = draw(st.lists(st.integers(0, modulus - 1), min_size=1, max_size=60))
    values = [start]
    for count in counts:
        values.append((values[-1] + count) % modulus)
    return settings, counts, registers(*values)


@given(metered())
def test_differencing_a_built_register_returns_the_interval_values(case):
    settings, counts, built = case
    result = intervals_from_registers(registers=built, settings=settings)
    assert values_of(result) == [(at(i), settings.kwh(count)) for i, count in enumerate(counts)]
    assert result.gaps == []


@given(metered(), st.data())
def test_gaps_drop_exactly_the_intervals_they_touch(case, data):
    settings, counts, built = case
    missing = data.draw(st.sets(st.integers(0, len(built) - 1)))
    no_data = data.draw(st.sets(st.integers(0, len(built) - 1)))
    delivered = [
        Register(register.ts, NO_DATA) if i in no_data else register
        for i, register in enumerate(built)
        if i not in missing
    ]
    result = intervals_from_registers(
        registers=data.draw(st.permutations(delivered)), settings=settings
    )
    absent = missing | no_data
    assert values_of(result) == [
        (at(i), settings.kwh(count))
        for i, count in enumerate(counts)
        if i not in absent and i + 1 not in absent
    ]
    assert all(end - start > HALF_HOUR for start, end in result.gaps)


@given(metered(), st.data())
def test_consecutive_deliveries_chain_to_the_whole(case, data):
    settings, _, built = case
    cut = data.draw(st.integers(1, len(built) - 1))
    first = intervals_from_registers(registers=built[:cut], settings=settings)
    second = intervals_from_registers(
        registers=built[cut:], settings=settings, previous=first.latest
    )
    assert values_of(first) + values_of(second) == values_of(
        intervals_from_registers(registers=built, settings=settings)
    )
    assert second.chained
