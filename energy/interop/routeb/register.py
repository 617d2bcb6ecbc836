"""Interval values from a smart meter's cumulative register (ECHONET Lite "Route B").

A Japanese low-voltage smart electric energy meter (ECHONET device class 0x0288) reports, every
30 minutes, its cumulative energy register at that fixed time (property 0xEA: a timestamp and a
4-byte unsigned value). The register counts in units of coefficient (0xD3) × unit (0xE1) kWh and
has a number of effective digits (0xD7): it wraps to 0 after 10**digits - 1. A slot the meter
could not record is 0xFFFFFFFE ("no data").

The energy used in an interval is the difference between the register at its end and at its
start, modulo 10**digits, labelled by the interval's start as every reading is. Only two
registers exactly one interval apart make an interval value: across a missing slot or a
"no data" marker the difference spans several intervals, and it is neither stored as one
interval nor spread over them (a gap, not a spike).

Unit codes (0xE1) as ECHONET's appendix lists them and Route B implementations decode them:
0x00 1 kWh, 0x01 0.1, 0x02 0.01, 0x03 0.001, 0x04 0.0001, 0x0A 10, 0x0B 100, 0x0C 1000,
0x0D 10000.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

NO_DATA = 0xFFFFFFFE
REGISTER_MAX = 0xFFFFFFFF  # four bytes
# 0xE1 unit code -> the power of ten of one register unit, in kWh.
UNIT_EXPONENTS = {
    0x00: 0,
    0x01: -1,
    0x02: -2,
    0x03: -3,
    0x04: -4,
    0x0A: 1,
    0x0B: 2,
    0x0C: 3,
    0x0D: 4,
}
# 0xD3 is four bytes; ECHONET lists 0x00000001-0x0098967F (not checked against the appendix
# text here: the largest coefficient accepted, nothing more).
COEFFICIENT_MAX = 9_999_999
DIGITS_MIN, DIGITS_MAX = 1, 8  # 0xD7


class RegisterError(ValueError):
    """Registers that cannot be differenced as given; ``details`` says where."""

    def __init__(self, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


@dataclass(frozen=True)
class RegisterSettings:
    """How to read a meter's register: coefficient (0xD3), unit code (0xE1), digits (0xD7)."""

    coefficient: int = 1
    unit_code: int = 0x00
    digits: int = 6

    def __post_init__(self) -> None:
        if self.unit_code not in UNIT_EXPONENTS:
            codes = ", ".join(f"0x{code:02X}" for code in UNIT_EXPONENTS)
            raise RegisterError(f"unit code {self.unit_code} is not one of {codes}.")
        if not 1 <= self.coefficient <= COEFFICIENT_MAX:
            raise RegisterError(f"coefficient must be 1 to {COEFFICIENT_MAX}.")
        if not DIGITS_MIN <= self.digits <= DIGITS_MAX:
            raise RegisterError(f"effective digits must be {DIGITS_MIN} to {DIGITS_MAX}.")

    @property
    def modulus(self) -> int:
        return 10**self.digits

    def kwh(self, counts: int) -> float:
        """``counts`` register units in kWh, rounded once (0.1 kWh × 3 is 0.3, not 0.30…04)."""
        exponent = UNIT_EXPONENTS[self.unit_code]
        scaled = counts * self.coefficient
        return float(scaled * 10**exponent) if exponent >= 0 else scaled / 10**-exponent


@dataclass(frozen=True, order=True)
class Register:
    """The register's value at ``ts`` (timezone-aware), as the meter reports it."""

    ts: datetime
    value: int


@dataclass(frozen=True)
class IntervalValue:
    ts: datetime  # the interval's start
    value_kwh: float


@dataclass(frozen=True)
class Differenced:
    intervals: list[IntervalValue] = field(default_factory=list)
    # (from, to): consecutive registers not one interval apart, nothing stored between them.
    gaps: list[tuple[datetime, datetime]] = field(default_factory=list)
    no_data: list[datetime] = field(default_factory=list)  # slots marked 0xFFFFFFFE
    chained: bool = False  # the previous register was used for the first interval
    latest: Register | None = None  # the latest register with data, previous included


def registers_check(registers: Iterable[Register], settings: RegisterSettings) -> list[Register]:
    """The registers in time order, repeats removed; raises RegisterError on impossible values
    or one time with two different values."""
    by_ts: dict[datetime, int] = {}
    for index, register in enumerate(registers):
        if register.ts.tzinfo is None:
            raise RegisterError("register times need a UTC offset.", {"index": index})
        value = register.value
        if value != NO_DATA and not 0 <= value < settings.modulus:
            raise RegisterError(
                f"register value {value} does not fit {settings.digits} effective digits "
                f"(0 to {settings.modulus - 1}, or 0xFFFFFFFE for no data).",
                {"index": index, "value": value},
            )
        earlier = by_ts.setdefault(register.ts, value)
        if earlier != value:
            raise RegisterError(
                f"two different registers for {register.ts.isoformat()}: {earlier} and {value}.",
                {"index": index, "ts": register.ts.isoformat()},
            )
    return [Register(ts, value) for ts, value in sorted(by_ts.items())]


def intervals_from_registers(
    *,
    registers: Iterable[Register],
    settings: RegisterSettings,
    interval: timedelta = timedelta(minutes=30),
    previous: Register | None = None,
) -> Differenced:
    """Differences of consecutive registers one ``interval`` apart, as interval values.

    ``previous`` (the meter's last register from an earlier delivery, read with the same
    settings) is used only when it is earlier than every register here: a delivery that
    arrives late, or overlaps what was seen, is differenced within itself.
    """
    ordered = registers_check(registers, settings)
    no_data = [register.ts for register in ordered if register.value == NO_DATA]
    chain = [register for register in ordered if register.value != NO_DATA]
    chained = previous is not None and bool(ordered) and previous.ts < ordered[0].ts
    if chained:
        chain.insert(0, previous)
    intervals, gaps = [], []
    for start, end in pairwise(chain):
        if end.ts - start.ts == interval:
            counts = (end.value - start.value) % settings.modulus
            intervals.append(IntervalValue(start.ts, settings.kwh(counts)))
        else:
            gaps.append((start.ts, end.ts))
    if chained and not (intervals and intervals[0].ts == previous.ts):
        chained = False  # the previous register was too far back to give an interval
    latest = max(chain, default=None)
    return Differenced(
        intervals=intervals, gaps=gaps, no_data=no_data, chained=chained, latest=latest
    )
