"""Row-level validation: every rejected row gets a reason code and a message."""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from energy.ingest.parse import RawRow
from energy.models import Quality

QUALITIES = frozenset(Quality.values)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# A source's clock may run a little ahead of ours; further ahead, its times cannot be trusted.
SOURCE_CLOCK_AHEAD_S = 300


class Reason(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_METER = "unknown_meter"
    OFF_GRID = "off_grid"
    FUTURE = "future"
    NEGATIVE = "negative"
    NOT_FINITE = "not_finite"
    TOO_LARGE = "too_large"
    DUPLICATE_IN_BATCH = "duplicate_in_batch"
    INVALID_SOURCE_TIME = "invalid_source_time"
    BEFORE_INSTALLATION = "before_installation"
    # Green Button files: a usage point with no meter yet, a reading whose interval is not the
    # meter's (monthly billing periods), a usage point of another commodity than its meter.
    UNMAPPED_USAGE_POINT = "unmapped_usage_point"
    INTERVAL_MISMATCH = "interval_mismatch"
    COMMODITY_MISMATCH = "commodity_mismatch"
    # A Green Button reading of whole local days (a bill, a daily bin) that cannot be stored as
    # a billing period: it overlaps a stored period of another first day, or is not over yet.
    BILLING_PERIOD_REFUSED = "billing_period_refused"


# What staff read for each reason (the overview, the admin); the codes stay in the API and CSVs.
REASON_LABELS = {
    Reason.MALFORMED: _("Malformed row"),
    Reason.UNKNOWN_METER: _("Unknown meter"),
    Reason.OFF_GRID: _("Off the meter's interval grid"),
    Reason.FUTURE: _("In the future"),
    Reason.NEGATIVE: _("Negative value"),
    Reason.NOT_FINITE: _("Not a finite number"),
    Reason.TOO_LARGE: _("Too large for the meter"),
    Reason.DUPLICATE_IN_BATCH: _("Repeated in the same batch"),
    Reason.INVALID_SOURCE_TIME: _("Invalid source time"),
    Reason.BEFORE_INSTALLATION: _("Before the meter's installation"),
    Reason.UNMAPPED_USAGE_POINT: _("Usage point without a meter"),
    Reason.INTERVAL_MISMATCH: _("Interval other than the meter's"),
    Reason.COMMODITY_MISMATCH: _("Commodity other than the meter's"),
    Reason.BILLING_PERIOD_REFUSED: _("Billing period not stored"),
}


def reason_label(code: str) -> str:
    """A rejection reason in the reader's language (an unknown code as it is)."""
    return str(REASON_LABELS.get(code, code))


@dataclass(frozen=True, slots=True)
class MeterRules:
    """What validation needs to know about a meter."""

    id: int
    interval_minutes: int
    max_value: float
    # The start of the meter's installation day in its local time (seconds since 1970 UTC):
    # no reading of it can be earlier.
    installed_from: int | None = None
    installed_on: str = ""


class ValidReading(NamedTuple):  # a tuple: cheap to make once per delivered row
    meter_id: int
    epoch: int  # interval start, seconds since 1970-01-01 UTC
    value: float
    quality: str
    # When the source produced the value, microseconds since 1970-01-01 UTC (None: unknown).
    source_us: int | None = None

    @property
    def ts(self) -> datetime:
        return datetime.fromtimestamp(self.epoch, tz=UTC)


def microseconds(moment: datetime) -> int:
    """An aware datetime as whole microseconds since 1970-01-01 UTC (exact, unlike a float)."""
    return (moment - EPOCH) // MICROSECOND


def from_microseconds(us: int) -> datetime:
    return EPOCH + us * MICROSECOND


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    reason: Reason
    message: str
    row: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "reason": str(self.reason),
            "message": self.message,
            "row": self.row,
        }


@dataclass(slots=True)
class ValidationResult:
    valid: list[ValidReading] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def readings_validate(
    rows: Iterable[RawRow],
    *,
    meters: dict[str, MeterRules],
    now: datetime,
    produced_at: datetime | None = None,
) -> ValidationResult:
    """Split raw rows into valid readings and rejections (with reasons), keeping row order.

    ``produced_at`` is the source time of rows that carry none of their own (the batch's).
    """
    result = ValidationResult()
    valid, rejected = result.valid, result.rejected
    checker = RowChecker(meters=meters, now=now, produced_at=produced_at)
    seen: set[tuple[int, int]] = set()
    for row in rows:
        reason, message, reading = checker.check(row)
        if reading is not None:
            key = (reading.meter_id, reading.epoch)
            if key in seen:
                reason, message = DUPLICATE_IN_BATCH
            else:
                seen.add(key)
                valid.append(reading)
                continue
        rejected.append(rejection(row, reason, message))
    return result


DUPLICATE_IN_BATCH = (
    Reason.DUPLICATE_IN_BATCH,
    "the same meter and interval appear earlier in this batch",
)


class RowChecker:
    """Checks one row at a time: (reason, message, None) for a bad row, (None, None, reading)
    for a good one. Whether a good row repeats an earlier one is the caller's to say."""

    def __init__(
        self, *, meters: dict[str, MeterRules], now: datetime, produced_at: datetime | None
    ) -> None:
        self.meters = meters
        self.now_epoch = now.timestamp()
        self.sources = _Sources(
            default=None if produced_at is None else microseconds(produced_at),
            latest=microseconds(now) + SOURCE_CLOCK_AHEAD_S * 1_000_000,
        )
        # Rows of one delivery share few distinct timestamps (many meters, the same
        # intervals): parse each distinct string once.
        self.epochs: dict[str, object] = {}

    def check(self, row: RawRow):
        reason, message, reading = _check(
            row, self.meters, self.now_epoch, self.epochs, self.sources.default
        )
        if reading is not None and row.source_time is not None:
            return self.sources.stamp(row, reading)
        return reason, message, reading

    def source_us(self, text: str) -> int | None:
        """A ``source_time`` string in microseconds since 1970, or None when ``check`` would
        refuse it whatever the interval (not ISO 8601, no offset, in the future)."""
        value = _instant(text, self.sources.parsed, microseconds)
        if value is _BAD_TS or value is _NAIVE_TS or value > self.sources.latest:
            return None
        return value

    def epoch(self, text: str) -> int | None:
        """The interval start a ``ts`` string names, in whole seconds since 1970, or None when
        ``check`` would refuse it whatever the meter (not ISO 8601, no offset, before 1970,
        not a whole second)."""
        if len(_INSTANTS) > _INSTANTS_KEPT:
            _INSTANTS.clear()
        value = _instant(text, _INSTANTS, datetime.timestamp)
        if value is _BAD_TS or value is _NAIVE_TS or value < 0 or value != int(value):
            return None
        return int(value)


# ts strings already parsed by this process (``RowChecker.epoch``): successive batches mostly
# repeat the same intervals for other meters.
_INSTANTS: dict[str, object] = {}
_INSTANTS_KEPT = 200_000


def rejection(row: RawRow, reason: Reason, message: str) -> Rejection:
    return Rejection(row.line, reason, message, _jsonable(row.as_dict()))


_BAD_TS = object()
_NAIVE_TS = object()


@dataclass(slots=True)
class _Sources:
    """Gives valid readings their source time: the row's own, checked, or the batch's."""

    default: int | None
    latest: int  # later source times are in the future (beyond a clock's allowance)
    parsed: dict[str, object] = field(default_factory=dict)

    def stamp(self, row: RawRow, reading: ValidReading):
        """The reading with the row's own source time, or the reason it cannot have it."""
        if not isinstance(row.source_time, str):
            return Reason.INVALID_SOURCE_TIME, "source_time must be an ISO 8601 string", None
        us = _instant(row.source_time, self.parsed, microseconds)
        if us is _BAD_TS:
            return (
                Reason.INVALID_SOURCE_TIME,
                f"source_time {row.source_time!r} is not an ISO 8601 date-time",
                None,
            )
        if us is _NAIVE_TS:
            return (
                Reason.INVALID_SOURCE_TIME,
                "source_time needs a UTC offset, e.g. 2026-01-15T10:00:05+09:00",
                None,
            )
        if us > self.latest:
            return Reason.INVALID_SOURCE_TIME, "source_time is in the future", None
        if us < reading.epoch * 1_000_000:
            return (
                Reason.INVALID_SOURCE_TIME,
                "source_time is before the interval it reports began",
                None,
            )
        return None, None, reading._replace(source_us=us)


def _instant(text: str, cache: dict[str, object], convert) -> object:
    """``convert(datetime)`` of an ISO 8601 string with an offset, or _BAD_TS / _NAIVE_TS;
    memoised in ``cache`` (a delivery's rows share few distinct times)."""
    try:
        return cache[text]
    except KeyError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        value = _BAD_TS
    else:
        value = _NAIVE_TS if moment.tzinfo is None else convert(moment)
    cache[text] = value
    return value


def _check(
    row: RawRow,
    meters: dict[str, MeterRules],
    now_epoch: float,
    epochs: dict,
    source_us: int | None,
):
    if row.problem:
        return Reason(row.reason or Reason.MALFORMED), row.problem, None
    if not isinstance(row.meter, str) or not row.meter:
        return Reason.MALFORMED, "meter must be a non-empty string", None
    rules = meters.get(row.meter)
    if rules is None:
        return Reason.UNKNOWN_METER, f"no meter with serial {row.meter!r}", None

    if not isinstance(row.ts, str):
        return Reason.MALFORMED, "ts must be an ISO 8601 string", None
    epoch_float = _instant(row.ts, epochs, datetime.timestamp)
    if epoch_float is _BAD_TS:
        return Reason.MALFORMED, f"ts {row.ts!r} is not an ISO 8601 date-time", None
    if epoch_float is _NAIVE_TS:
        return Reason.MALFORMED, "ts needs a UTC offset, e.g. 2026-01-15T09:30:00+09:00", None
    if epoch_float < 0:
        # No meter read before 1970, and such dates need not exist in every local calendar.
        return Reason.MALFORMED, "ts must not be before 1970-01-01T00:00:00Z", None
    epoch = int(epoch_float)
    interval_seconds = rules.interval_minutes * 60
    if epoch != epoch_float or epoch % interval_seconds:
        return (
            Reason.OFF_GRID,
            f"ts is not on the meter's {rules.interval_minutes}-minute grid",
            None,
        )
    if epoch + interval_seconds > now_epoch:
        return Reason.FUTURE, "the interval has not ended yet", None
    if rules.installed_from is not None and epoch < rules.installed_from:
        return (
            Reason.BEFORE_INSTALLATION,
            f"the interval is before the meter was installed (on {rules.installed_on})",
            None,
        )

    value = row.value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return Reason.MALFORMED, f"value {row.value!r} is not a number", None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return Reason.MALFORMED, "value must be a number", None
    else:
        value = float(value)
    if not math.isfinite(value):
        return Reason.NOT_FINITE, "value must be a finite number", None
    if value < 0:
        return Reason.NEGATIVE, "value must not be negative", None
    if value > rules.max_value:
        return (
            Reason.TOO_LARGE,
            f"value {value:g} is above this meter's maximum of {rules.max_value:g} per interval",
            None,
        )

    quality = row.quality or Quality.MEASURED
    if quality not in QUALITIES:
        return Reason.MALFORMED, f"quality must be one of {', '.join(sorted(QUALITIES))}", None
    return None, None, ValidReading(rules.id, epoch, value, quality, source_us)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """The row as delivered, safe to store in JSON (NaN and infinities become strings)."""
    return {
        key: (str(value) if isinstance(value, float) and not math.isfinite(value) else value)
        for key, value in row.items()
        if value is not None or key != "quality"
    }
