"""Read analysts' usage and temperature CSV files into daily series for the savings engine, and
measure an intervention's savings from them (``savings_measure_files``, for ``manage.py
measure_savings``; no database).

Plain functions over text, returning numpy arrays: ``dates`` as ``datetime64[D]`` local days and
values as ``float64`` with NaN for a day that is in the file but has too little data.
Every problem is a ``SeriesFileInvalid`` naming the file, the line and what is wrong.
"""

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.utils.translation import gettext as _

from config.errors import ValidationFailed
from energy.bills.parse import billing_periods_parse
from energy.models import Commodity, Unit, local_day_minutes
from energy.savings.billing import BillingMeasuredSavings, billing_savings_measure
from energy.savings.hourly import HourlyMeasuredSavings, hourly_savings_measure
from energy.savings.mv import MeasuredSavings, savings_measure

# CalTRACK 2.2.2.1 (interval usage) and 2.2.2.3 (hourly temperature): a day with less than half
# of its intervals is missing; otherwise the missing intervals count as the mean of the others.
MIN_DAY_COVERAGE = 0.5

# Outside this range a daily mean temperature is not weather but a unit or column mix-up
# (the coldest and hottest air temperatures ever recorded are about -89 °C and +57 °C).
PLAUSIBLE_TEMPERATURE_C = (-90.0, 60.0)

TEMPERATURE_UNITS = ("C", "F")

# Naive timestamps and date-only files without --time-zone are read in the service area's zone.
DEFAULT_TIME_ZONE = "Asia/Tokyo"


class SeriesFileInvalid(ValidationFailed):
    """A usage or temperature file that cannot be read; the message names file and line."""

    code = "invalid_file"

    def __init__(self, message: str, *, source: str, line: int | None = None) -> None:
        where = source
        if line is not None:
            where = _("%(file)s, line %(line)d") % {"file": source, "line": line}
        super().__init__(
            f"{where}: {message}", details={"file": source, "line": line, "problem": message}
        )
        self.source = source
        self.line = line


def zone_from_name(name: str) -> ZoneInfo:
    """The IANA time zone called ``name``, or ``ValidationFailed`` saying it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            _("Unknown time zone %(zone)r; use an IANA name such as Asia/Tokyo.") % {"zone": name}
        ) from None


def usage_daily_from_csv(
    *,
    text: str | None = None,
    file: Path | str | None = None,
    time_zone: str | None = None,
    name: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily usage totals from ``date,value`` (daily) or ``ts,value`` (interval readings) CSV.

    Interval readings are labelled by their start and summed per local day: the day of each
    timestamp's own UTC offset, or of ``time_zone`` when one is given (naive timestamps are read
    in ``time_zone``, by default Asia/Tokyo). Returns ``(dates, values)`` sorted by date.
    """
    source, text = _source_text(text=text, file=file, name=name)
    zone = zone_from_name(time_zone) if time_zone else None
    time_column, rows = _rows(text, source=source, value_column="value")
    values = np.array([_number(raw, source=source, line=line) for line, _time, raw in rows])
    for (line, _time, raw), value in zip(rows, values, strict=True):
        if value < 0:
            raise SeriesFileInvalid(
                _("usage %(value)s is negative.") % {"value": raw}, source=source, line=line
            )
    if time_column == "date":
        return _daily(rows, values, source=source)
    return _intervals_to_days(rows, values, zone=zone, source=source, aggregate="sum")


def temperature_daily_from_csv(
    *,
    text: str | None = None,
    file: Path | str | None = None,
    time_zone: str | None = None,
    unit: str = "C",
    name: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily mean temperature in °C from ``date,temperature`` or hourly ``ts,temperature`` CSV.

    ``unit`` is the file's unit, ``C`` or ``F``; °F is converted to °C.
    """
    source, text = _source_text(text=text, file=file, name=name)
    unit_key = _temperature_unit(unit)
    zone = zone_from_name(time_zone) if time_zone else None
    time_column, rows = _rows(text, source=source, value_column="temperature")
    values = np.array([_number(raw, source=source, line=line) for line, _time, raw in rows])
    values = _temperature_c(rows, values, unit=unit_key, source=source)
    if time_column == "date":
        return _daily(rows, values, source=source)
    return _intervals_to_days(rows, values, zone=zone, source=source, aggregate="mean")


@dataclass(frozen=True)
class HourlySeries:
    """Consecutive UTC hours with a value each (NaN: missing), and the zone of their clock."""

    hours: np.ndarray  # datetime64[s], the start of each hour, UTC
    values: np.ndarray
    zone: tzinfo


def _temperature_unit(unit: str) -> str:
    unit_key = unit.strip().upper().removeprefix("°")
    if unit_key not in TEMPERATURE_UNITS:
        raise ValidationFailed(_("Unknown temperature unit %(unit)r; use C or F.") % {"unit": unit})
    return unit_key


def _temperature_c(
    rows: list[tuple[int, str, str]], values: np.ndarray, *, unit: str, source: str
) -> np.ndarray:
    """The file's temperatures in °C; an implausible one is refused with a hint at the unit."""
    unit_key = _temperature_unit(unit)
    if unit_key == "F":
        values = (values - 32.0) * (5.0 / 9.0)
    low, high = PLAUSIBLE_TEMPERATURE_C
    for (line, _time, raw), value_c in zip(rows, values, strict=True):
        if math.isfinite(value_c) and not low <= value_c <= high:
            raise SeriesFileInvalid(
                _(
                    "temperature %(value)s %(unit)s (%(value_c).1f °C) is not plausible; "
                    "is --temperature-unit right?"
                )
                % {"value": raw, "unit": unit_key, "value_c": value_c},
                source=source,
                line=line,
            )
    return values


def hourly_from_csv(
    *,
    text: str | None = None,
    file: Path | str | None = None,
    time_zone: str | None = None,
    value_column: str = "value",
    unit: str = "C",
    name: str | None = None,
) -> HourlySeries:
    """Per UTC hour: the sum of interval usage (``value_column="value"``) or the mean of
    temperature readings (``"temperature"``, in ``unit``) from a ``ts,…`` CSV file.

    An hour with under half of its intervals is missing; otherwise missing intervals count at
    the mean of the others (CalTRACK 2.2.2.1). The hours of the week are counted on the clock
    of ``time_zone``, or of the data's one UTC offset; data whose offsets change (daylight
    saving) need ``time_zone`` to say which clock that is.
    """
    source, text = _source_text(text=text, file=file, name=name)
    zone = zone_from_name(time_zone) if time_zone else None
    time_column, rows = _rows(text, source=source, value_column=value_column)
    if time_column != "ts":
        raise SeriesFileInvalid(
            _(
                "the hourly method needs timestamped readings (ts,%(value)s), at most an hour "
                "apart; this file has one row per day."
            )
            % {"value": value_column},
            source=source,
        )
    values = np.array([_number(raw, source=source, line=line) for line, _time, raw in rows])
    if value_column == "temperature":
        values = _temperature_c(rows, values, unit=unit, source=source)
    else:
        for (line, _time, raw), value in zip(rows, values, strict=True):
            if value < 0:
                raise SeriesFileInvalid(
                    _("usage %(value)s is negative.") % {"value": raw}, source=source, line=line
                )
    epoch_s, offset_s, _days = _timestamps(rows, zone=zone, source=source)
    interval_s = float(np.median(np.diff(np.sort(epoch_s))))
    if interval_s > 3600 or 3600 % interval_s:
        raise SeriesFileInvalid(
            _(
                "the readings are %(seconds)d seconds apart; the hourly method needs an hour or "
                "a whole fraction of one."
            )
            % {"seconds": round(interval_s)},
            source=source,
        )
    if zone is None:
        offsets = np.unique(offset_s)
        if len(offsets) > 1:
            raise SeriesFileInvalid(
                _(
                    "the timestamps change their UTC offset (daylight saving); give --time-zone "
                    "(such as America/New_York) so the hours of the week follow that clock."
                ),
                source=source,
            )
        zone = timezone(timedelta(seconds=int(offsets[0])))
    hour_s = epoch_s - epoch_s % 3600
    first, last = hour_s.min(), hour_s.max()
    index = (hour_s - first) // 3600
    count = int((last - first) // 3600) + 1
    known = np.isfinite(values)
    present = np.bincount(index, weights=known, minlength=count)
    totals = np.bincount(index, weights=np.where(known, values, 0.0), minlength=count)
    expected = 3600 / interval_s
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = totals / present
    hourly = (
        totals + np.maximum(expected - present, 0.0) * mean if value_column == "value" else mean
    )
    hourly[present < MIN_DAY_COVERAGE * expected] = np.nan
    hours = np.arange(first, last + 1, 3600).astype("datetime64[s]")
    return HourlySeries(hours=hours, values=hourly, zone=zone)


def hours_align(usage: HourlySeries, temperature: HourlySeries) -> tuple[np.ndarray, ...]:
    """Both hourly series on the hours either covers, NaN where one has no value."""
    first = min(usage.hours[0], temperature.hours[0])
    last = max(usage.hours[-1], temperature.hours[-1])
    hours = np.arange(first, last + np.timedelta64(1, "h"), np.timedelta64(1, "h"))
    hours = hours.astype("datetime64[s]")
    aligned = []
    for series in (usage, temperature):
        values = np.full(hours.size, np.nan)
        values[((series.hours - first) // np.timedelta64(1, "h")).astype(int)] = series.values
        aligned.append(values)
    return hours, aligned[0], aligned[1]


def series_align(
    *,
    usage_dates: np.ndarray,
    usage: np.ndarray,
    temperature_dates: np.ndarray,
    temperature_c: np.ndarray,
    usage_source: str = "usage",
    temperature_source: str = "temperature",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both series on one run of consecutive days, NaN where either has no value.

    The run spans every day either file lists, so a partial first or last day stays a missing
    day of the baseline (CalTRACK counts it against 2.2.1.2) instead of shortening the data.
    Raises ``SeriesFileInvalid`` when no day has both values.
    """
    usage_known = usage_dates[np.isfinite(usage)]
    temperature_known = temperature_dates[np.isfinite(temperature_c)]
    common = np.intersect1d(usage_known, temperature_known)
    if common.size == 0:
        raise SeriesFileInvalid(
            _(
                "no day has both usage and temperature: usage covers %(usage)s, "
                "temperature (%(temperature_file)s) covers %(temperature)s."
            )
            % {
                "usage": _span(usage_known),
                "temperature": _span(temperature_known),
                "temperature_file": temperature_source,
            },
            source=usage_source,
        )
    first = min(usage_dates.min(), temperature_dates.min())
    last = max(usage_dates.max(), temperature_dates.max())
    dates = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return (
        dates,
        _on_days(dates, usage_dates, usage),
        _on_days(dates, temperature_dates, temperature_c),
    )


def intervention_check(*, dates: np.ndarray, intervention: date, source: str) -> None:
    """Raise unless ``intervention`` has a day of data before it and one from it on.

    ``dates`` are the days with both usage and temperature.
    """
    day = np.datetime64(intervention, "D")
    if dates.size == 0 or not dates[0] < day <= dates[-1]:
        raise SeriesFileInvalid(
            _(
                "the intervention date %(intervention)s is outside the days both files cover "
                "(%(span)s); the baseline is before it and the reporting period from it on."
            )
            % {"intervention": intervention.isoformat(), "span": _span(dates)},
            source=source,
        )


def series_summary(*, dates: np.ndarray, values: np.ndarray, source: str) -> dict:
    """What a file held, JSON-ready: days listed, days with a value, first and last day."""
    known = np.isfinite(values)
    return {
        "file": source,
        "days": int(dates.size),
        "days_with_value": int(known.sum()),
        "days_missing": int(dates.size - known.sum()),
        "first": str(dates.min()) if dates.size else None,
        "last": str(dates.max()) if dates.size else None,
    }


METHODS = ("daily", "billing", "hourly")


@dataclass(frozen=True)
class FilesMeasurement:
    """Savings measured from files, and what was read from them (``inputs``, JSON-ready)."""

    result: MeasuredSavings | BillingMeasuredSavings | HourlyMeasuredSavings
    inputs: dict[str, Any]

    @property
    def method(self) -> str:
        return self.inputs["method"]

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, **self.result.as_dict(), "inputs": self.inputs}


def savings_measure_files(
    *,
    usage_path: Path | str,
    temperature_path: Path | str,
    intervention: date,
    reporting_end: date | None = None,
    commodity: str,
    temperature_unit: str,
    time_zone: str | None = None,
    method: str | None = None,
) -> FilesMeasurement:
    """Avoided use after ``intervention`` from a usage and a temperature CSV file, by the
    CalTRACK daily, billing or hourly method: read both, align them, and measure.

    Without ``method``, a bill file (``start,end,value``) is measured by the billing method and
    any other usage file by the daily method. Raises ``ValidationFailed`` (naming the file and
    line) for bad input and ``DataInsufficient`` when the files hold too little for a baseline
    or a reporting period.
    """
    commodity_key = commodity.strip().lower()
    if commodity_key not in Commodity.values:
        raise ValidationFailed(
            _("Unknown commodity %(commodity)r; use electricity or gas.") % {"commodity": commodity}
        )
    usage_source, usage_text = _source_text(text=None, file=usage_path, name=None)
    is_bill_file = _is_bill_file(usage_text)
    method = (method or ("billing" if is_bill_file else "daily")).strip().lower()
    if method not in METHODS:
        raise ValidationFailed(
            _("Unknown method %(method)r; use daily, billing or hourly.") % {"method": method}
        )
    if is_bill_file and method != "billing":
        raise SeriesFileInvalid(
            _("this is a bill file (start,end,value): measure it with --method billing."),
            source=usage_source,
        )
    common = {
        "intervention": intervention,
        "reporting_end": reporting_end,
        "commodity": commodity_key,
    }
    inputs = {
        "method": method,
        "commodity": commodity_key,
        "usage_unit": Unit.of(commodity_key).label,
        # None: each timestamp's own UTC offset (naive ones and dates: DEFAULT_TIME_ZONE).
        "time_zone": time_zone,
    }
    temperature_source = str(temperature_path)
    unit_key = _temperature_unit(temperature_unit)
    if method == "hourly":
        usage = hourly_from_csv(text=usage_text, name=usage_source, time_zone=time_zone)
        temperature = hourly_from_csv(
            file=temperature_path,
            time_zone=time_zone,
            value_column="temperature",
            unit=unit_key,
        )
        hours, usage_aligned, temperature_aligned = hours_align(usage, temperature)
        result = hourly_savings_measure(
            hours=hours,
            usage=usage_aligned,
            temperature_c=temperature_aligned,
            zone=usage.zone,
            **common,
        )
        inputs |= {
            "usage": _hours_summary(usage, source=usage_source),
            "temperature": _hours_summary(temperature, source=temperature_source)
            | {"unit": unit_key},
            "time_zone": time_zone or str(usage.zone),
        }
        return FilesMeasurement(result=result, inputs=inputs)

    temperature_dates, temperature_c = temperature_daily_from_csv(
        file=temperature_path, time_zone=time_zone, unit=unit_key
    )
    inputs["temperature"] = series_summary(
        dates=temperature_dates, values=temperature_c, source=temperature_source
    ) | {"unit": unit_key}
    if method == "billing":
        bills = billing_periods_parse(usage_text, source=usage_source)
        periods = bills.periods
        result = billing_savings_measure(
            period_starts=np.array([p.start for p in periods], dtype="datetime64[D]"),
            period_ends=np.array([p.end for p in periods], dtype="datetime64[D]"),
            usage=np.array([p.usage for p in periods], dtype=float),
            estimated=np.array([p.estimated for p in periods], dtype=bool),
            temperature_dates=temperature_dates,
            temperature_c=temperature_c,
            **common,
        )
        inputs["usage"] = {
            "file": usage_source,
            "periods": len(periods),
            "first": periods[0].start.isoformat(),
            "last": periods[-1].end.isoformat(),
            "ends_are_read_days": bills.ends_are_read_days,
        }
        return FilesMeasurement(result=result, inputs=inputs)

    usage_dates, usage = usage_daily_from_csv(
        text=usage_text, name=usage_source, time_zone=time_zone
    )
    dates, usage_aligned, temperature_aligned = series_align(
        usage_dates=usage_dates,
        usage=usage,
        temperature_dates=temperature_dates,
        temperature_c=temperature_c,
        usage_source=usage_source,
        temperature_source=temperature_source,
    )
    both_known = np.isfinite(usage_aligned) & np.isfinite(temperature_aligned)
    intervention_check(dates=dates[both_known], intervention=intervention, source=usage_source)
    result = savings_measure(
        dates=dates, usage=usage_aligned, temperature_c=temperature_aligned, **common
    )
    inputs["usage"] = series_summary(dates=usage_dates, values=usage, source=usage_source)
    return FilesMeasurement(result=result, inputs=inputs)


def _hours_summary(series: HourlySeries, *, source: str) -> dict[str, Any]:
    known = np.isfinite(series.values)
    return {
        "file": source,
        "hours": int(series.hours.size),
        "hours_with_value": int(known.sum()),
        "hours_missing": int(series.hours.size - known.sum()),
        "first": str(series.hours[0].astype("datetime64[m]")) + "Z",
        "last": str(series.hours[-1].astype("datetime64[m]")) + "Z",
    }


def _is_bill_file(text: str) -> bool:
    """Whether a usage file's header names billing periods (start and end columns)."""
    for record in csv.reader(io.StringIO(text)):
        if record and any(field.strip() for field in record):
            columns = {column.strip().lower() for column in record}
            return {"start", "end"} <= columns
    return False


# --- reading ---------------------------------------------------------------------------------


def _source_text(*, text: str | None, file: Path | str | None, name: str | None) -> tuple[str, str]:
    if (text is None) == (file is None):
        raise TypeError("pass exactly one of text= or file=")
    if text is not None:
        return name or "<text>", text
    path = Path(file)
    source = name or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SeriesFileInvalid(_("no such file."), source=source) from None
    except OSError as exc:
        raise SeriesFileInvalid(
            _("cannot be read: %(reason)s.") % {"reason": exc.strerror}, source=source
        ) from None
    try:
        return source, raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SeriesFileInvalid(
            _("is not UTF-8 text (invalid byte at offset %(offset)d).") % {"offset": exc.start},
            source=source,
            line=line,
        ) from None


def _rows(text: str, *, source: str, value_column: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The time column's name and ``(line, time, value)`` per data row, as text."""
    reader = csv.reader(io.StringIO(text), strict=True)
    records = _records(reader, source=source)
    try:
        line, header = next(records)
    except StopIteration:
        raise SeriesFileInvalid(_("the file is empty."), source=source) from None
    columns = [column.strip().lower() for column in header]
    time_columns = [column for column in ("date", "ts") if column in columns]
    if len(time_columns) != 1 or value_column not in columns:
        raise SeriesFileInvalid(
            _(
                "the header must be date,%(value)s (one row per day) or ts,%(value)s "
                "(timestamped readings); found %(header)s."
            )
            % {"value": value_column, "header": ",".join(header) or _("an empty line")},
            source=source,
            line=line,
        )
    time_index, value_index = columns.index(time_columns[0]), columns.index(value_column)
    rows = []
    for line, record in records:
        if len(record) != len(columns):
            raise SeriesFileInvalid(
                _("expected %(expected)d fields as in the header, found %(found)d.")
                % {"expected": len(columns), "found": len(record)},
                source=source,
                line=line,
            )
        rows.append((line, record[time_index].strip(), record[value_index].strip()))
    if not rows:
        raise SeriesFileInvalid(_("the file has a header but no data rows."), source=source)
    return time_columns[0], rows


def _records(reader, *, source: str) -> Iterator[tuple[int, list[str]]]:
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SeriesFileInvalid(
                _("not valid CSV: %(reason)s.") % {"reason": exc},
                source=source,
                line=reader.line_num,
            ) from None
        if record and any(field.strip() for field in record):
            yield reader.line_num, record


def _number(raw: str, *, source: str, line: int) -> float:
    """A finite number; an empty field is a missing value (NaN)."""
    if raw == "":
        return math.nan
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    else:
        if math.isfinite(value):
            return value
    raise SeriesFileInvalid(
        _("cannot read %(raw)r as a number.") % {"raw": raw}, source=source, line=line
    )


def _daily(
    rows: list[tuple[int, str, str]], values: np.ndarray, *, source: str
) -> tuple[np.ndarray, np.ndarray]:
    first_line: dict[date, int] = {}
    for line, raw, _value in rows:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise SeriesFileInvalid(
                _("cannot read the date %(raw)r (expected YYYY-MM-DD).") % {"raw": raw},
                source=source,
                line=line,
            ) from None
        if day in first_line:
            raise SeriesFileInvalid(
                _("the date %(day)s appears again (first on line %(first)d).")
                % {"day": day.isoformat(), "first": first_line[day]},
                source=source,
                line=line,
            )
        first_line[day] = line
    dates = np.array(list(first_line), dtype="datetime64[D]")
    order = np.argsort(dates, kind="stable")
    return dates[order], values[order]


def _timestamps(
    rows: list[tuple[int, str, str]], *, zone: ZoneInfo | None, source: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's instant (seconds since 1970), UTC offset (seconds) and local day: in
    ``zone``, or without one by the timestamp's own offset (naive: DEFAULT_TIME_ZONE).
    Refuses a repeated instant and a file of one reading (no interval to tell)."""
    naive_zone = zone or ZoneInfo(DEFAULT_TIME_ZONE)
    epoch_s = np.empty(len(rows), dtype=np.int64)
    offset_s = np.empty(len(rows), dtype=np.int64)
    local_days = np.empty(len(rows), dtype="datetime64[D]")
    first_line: dict[int, int] = {}
    for index, (line, raw, _value) in enumerate(rows):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise SeriesFileInvalid(
                _(
                    "cannot read the timestamp %(raw)r (expected ISO 8601 such as "
                    "2026-01-15T00:30:00+09:00)."
                )
                % {"raw": raw},
                source=source,
                line=line,
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=naive_zone)  # naive: the analyst's --time-zone
        elif zone is not None:
            moment = moment.astimezone(zone)
        seconds = int(moment.timestamp())
        if seconds in first_line:
            raise SeriesFileInvalid(
                _("the timestamp %(raw)s appears again (first on line %(first)d).")
                % {"raw": raw, "first": first_line[seconds]},
                source=source,
                line=line,
            )
        first_line[seconds] = line
        epoch_s[index] = seconds
        offset_s[index] = int(moment.utcoffset().total_seconds())
        local_days[index] = np.datetime64(moment.date(), "D")
    if len(rows) < 2:
        raise SeriesFileInvalid(
            _(
                "one timestamped reading is not enough to tell the interval; "
                "use a date column for daily data."
            ),
            source=source,
        )
    return epoch_s, offset_s, local_days


def _intervals_to_days(
    rows: list[tuple[int, str, str]],
    values: np.ndarray,
    *,
    zone: ZoneInfo | None,
    source: str,
    aggregate: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Per local day: the sum (usage) or mean (temperature) of timestamped readings.

    The local day is ``zone``'s, or without one each timestamp's own (its UTC offset; naive
    timestamps are read in DEFAULT_TIME_ZONE). The interval is the median spacing of the
    readings. A day with fewer than half of its intervals (23, 24 or 25 hours' worth, by the
    zone's clock or the offsets' change) is NaN; otherwise missing intervals are filled with the
    mean of those present (CalTRACK 2.2.2.1, 2.2.2.3).
    """
    epoch_s, offset_s, local_days = _timestamps(rows, zone=zone, source=source)
    interval_s = float(np.median(np.diff(np.sort(epoch_s))))

    days, day_index = np.unique(local_days, return_inverse=True)
    known = np.isfinite(values)
    present = np.bincount(day_index, weights=known, minlength=days.size)
    totals = np.bincount(day_index, weights=np.where(known, values, 0.0), minlength=days.size)
    # Seconds from local midnight to the next, by the zone's clock (23 or 25 h on DST days).
    if zone is not None:
        day_length_s = np.array([60 * local_day_minutes(day, zone) for day in days.astype(date)])
    else:
        day_length_s = _day_lengths_from_offsets(days, day_index, epoch_s, offset_s)
    expected = day_length_s / interval_s
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = totals / present
    # A day's total counts its missing intervals at the mean of the present ones.
    daily = totals + np.maximum(expected - present, 0.0) * mean if aggregate == "sum" else mean
    daily[present < MIN_DAY_COVERAGE * np.round(expected)] = np.nan
    return days, daily


def _day_lengths_from_offsets(
    days: np.ndarray, day_index: np.ndarray, epoch_s: np.ndarray, offset_s: np.ndarray
) -> np.ndarray:
    """Seconds in each local day by the offsets in the data: a day whose first reading is at
    -05:00 and whose next day's first is at -04:00 is 23 hours long (the clocks went forward).
    A day with no next day in the data is taken to keep its offset (24 hours)."""
    order = np.argsort(epoch_s, kind="stable")
    first_offset = np.empty(days.size, dtype=np.int64)
    seen = np.zeros(days.size, dtype=bool)
    for row in order:  # the offset of each day's earliest reading
        day = day_index[row]
        if not seen[day]:
            first_offset[day], seen[day] = offset_s[row], True
    lengths = np.full(days.size, 86400.0)
    following = np.flatnonzero(np.diff(days) == np.timedelta64(1, "D"))
    lengths[following] += first_offset[following] - first_offset[following + 1]
    return lengths


def _on_days(dates: np.ndarray, series_dates: np.ndarray, series: np.ndarray) -> np.ndarray:
    aligned = np.full(dates.size, np.nan)
    inside = (series_dates >= dates[0]) & (series_dates <= dates[-1])
    aligned[(series_dates[inside] - dates[0]).astype(int)] = series[inside]
    return aligned


def _span(dates: np.ndarray) -> str:
    if dates.size == 0:
        return _("no day")
    return _("%(first)s to %(last)s") % {"first": str(dates.min()), "last": str(dates.max())}
