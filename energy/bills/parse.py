"""Read a bill file, ``start,end,value[,cost][,estimated]`` CSV, into billing periods.

Plain functions over text (no database), shared by the import (``services.py``), the API and
``manage.py measure_savings --method billing``. Every problem in the file is reported, one per
line, in a single ``BillFileInvalid``: a file is taken whole or not at all.

What ``end`` means: a bill prints the last day it covers ("1 Nov - 30 Nov"), a meter reader's
list the day of the next reading ("1 Nov, 1 Dec"). ``end`` is read as the last day; when every
period's end is the next period's start the file lists reading days, and each end is read as the
day before (``PeriodFile.ends_are_read_days``).
"""

import csv
import io
import itertools
import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from config.errors import ValidationFailed

# A period longer than a year is not a bill; CalTRACK's own limits (25-35 days for monthly
# bills, 2.2.3) are the savings engine's business, not the store's.
MAX_PERIOD_DAYS = 366
# No meter bills more than this in one period (a large factory uses about 1e8 kWh a year): a
# bigger figure is a unit or column mix-up, and would overflow the savings engine's squares.
MAX_AMOUNT = 1e10
MAX_ROWS = 5000  # 400 years of monthly bills: more is not a bill file
REQUIRED_COLUMNS = ("start", "end", "value")
OPTIONAL_COLUMNS = ("cost", "estimated")
TRUE_TEXTS = {"1", "true", "yes", "y", "e", "estimated"}
FALSE_TEXTS = {"", "0", "false", "no", "n", "a", "actual", "measured"}


@dataclass(frozen=True, slots=True)
class PeriodRow:
    """One billing period: ``start`` to ``end``, both local days and both included."""

    line: int
    start: date
    end: date
    usage: float  # kWh or m³
    cost_jpy: float | None = None
    estimated: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class PeriodFile:
    periods: list[PeriodRow]  # sorted by start
    ends_are_read_days: bool  # the file's ends were the next period's first days


class BillFileInvalid(ValidationFailed):
    """A bill file that cannot be taken; ``details["rows"]`` names each line and its problem."""

    code = "invalid_bill_file"

    def __init__(self, problems: list[tuple[int | None, str]], *, source: str) -> None:
        lines = [
            (_("line %(line)d: %(problem)s") % {"line": line, "problem": problem})
            if line is not None
            else problem
            for line, problem in problems
        ]
        super().__init__(
            _("%(file)s: %(problems)s") % {"file": source, "problems": "; ".join(lines)},
            details={
                "file": source,
                "rows": [{"line": line, "problem": problem} for line, problem in problems],
            },
        )
        self.problems = problems
        self.source = source


def billing_periods_parse(text: str, *, source: str = "<text>") -> PeriodFile:
    """The billing periods of a ``start,end,value[,cost][,estimated]`` CSV text."""
    problems: list[tuple[int | None, str]] = []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    records = []
    try:
        for record in reader:
            if record and any(field.strip() for field in record):
                records.append((reader.line_num, record))
            if len(records) > MAX_ROWS + 1:
                raise BillFileInvalid(
                    [(None, _("more than %(max)d periods in one file.") % {"max": MAX_ROWS})],
                    source=source,
                )
    except csv.Error as exc:
        raise BillFileInvalid(
            [(reader.line_num, _("not valid CSV: %(reason)s.") % {"reason": exc})], source=source
        ) from None
    if not records:
        raise BillFileInvalid([(None, _("the file is empty."))], source=source)
    header_line, header = records[0]
    columns = [column.strip().lower() for column in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        raise BillFileInvalid(
            [
                (
                    header_line,
                    _(
                        "the header must be start,end,value with optional cost and estimated "
                        "columns (one row per billing period); found %(header)s."
                    )
                    % {"header": ",".join(header)},
                )
            ],
            source=source,
        )
    index = {column: columns.index(column) for column in columns}
    rows: list[PeriodRow] = []
    for line, record in records[1:]:
        if len(record) != len(columns):
            problems.append(
                (
                    line,
                    _("expected %(expected)d fields as in the header, found %(found)d.")
                    % {"expected": len(columns), "found": len(record)},
                )
            )
            continue
        fields = {column: record[i].strip() for column, i in index.items()}
        row, row_problems = _row(line, fields)
        problems += [(line, problem) for problem in row_problems]
        if row is not None:
            rows.append(row)
    if not records[1:]:
        problems.append((None, _("the file has a header but no billing periods.")))
    if problems:
        raise BillFileInvalid(problems, source=source)

    rows.sort(key=lambda row: row.start)
    read_days = len(rows) > 1 and all(
        earlier.end == later.start for earlier, later in itertools.pairwise(rows)
    )
    if read_days:
        rows = [_ending_day_before(row) for row in rows]
    problems += periods_overlap_problems(rows)
    if problems:
        raise BillFileInvalid(problems, source=source)
    return PeriodFile(rows, ends_are_read_days=read_days)


def periods_overlap_problems(rows: list[PeriodRow]) -> list[tuple[int, str]]:
    """A problem for each period that shares a day with any before it (rows sorted by start):
    it is compared with the earlier period that reaches furthest."""
    problems = []
    reach: PeriodRow | None = None
    for later in rows:
        earlier, reach = reach, later if reach is None or later.end > reach.end else reach
        if earlier is not None and later.start <= earlier.end:
            problems.append(
                (
                    later.line,
                    _(
                        "the period %(start)s to %(end)s overlaps the one on line %(other)d "
                        "(%(other_start)s to %(other_end)s)."
                    )
                    % {
                        "start": later.start.isoformat(),
                        "end": later.end.isoformat(),
                        "other": earlier.line,
                        "other_start": earlier.start.isoformat(),
                        "other_end": earlier.end.isoformat(),
                    },
                )
            )
    return problems


def _ending_day_before(row: PeriodRow) -> PeriodRow:
    return PeriodRow(
        row.line, row.start, row.end - timedelta(days=1), row.usage, row.cost_jpy, row.estimated
    )


def _row(line: int, fields: dict[str, str]) -> tuple[PeriodRow | None, list[str]]:
    problems = []
    start = _date(fields["start"], "start", problems)
    end = _date(fields["end"], "end", problems)
    usage = _amount(fields["value"], "value", problems, required=True)
    cost = _amount(fields.get("cost", ""), "cost", problems, required=False)
    estimated_text = fields.get("estimated", "").lower()
    if estimated_text not in TRUE_TEXTS | FALSE_TEXTS:
        problems.append(
            _("estimated %(raw)r is neither true nor false.") % {"raw": fields["estimated"]}
        )
    if start and end:
        if end < start:
            problems.append(
                _("end %(end)s is before start %(start)s.")
                % {"end": end.isoformat(), "start": start.isoformat()}
            )
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            problems.append(
                _("the period is %(days)d days long; a bill covers at most %(max)d.")
                % {"days": (end - start).days + 1, "max": MAX_PERIOD_DAYS}
            )
    if problems:
        return None, problems
    return PeriodRow(line, start, end, usage, cost, estimated_text in TRUE_TEXTS), []


def _date(raw: str, column: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(
            _("%(column)s %(raw)r is not a date (YYYY-MM-DD).") % {"column": column, "raw": raw}
        )
        return None


def _amount(raw: str, column: str, problems: list[str], *, required: bool) -> float | None:
    if raw == "" and not required:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problems.append(
            _("%(column)s %(raw)r is not a number.") % {"column": column, "raw": raw}
            if raw
            else _("%(column)s is empty.") % {"column": column}
        )
        return None
    if value < 0:
        problems.append(_("%(column)s %(raw)s is negative.") % {"column": column, "raw": raw})
        return None
    if value > MAX_AMOUNT:
        problems.append(
            _("%(column)s %(raw)s is larger than any bill (at most %(max).0e).")
            % {"column": column, "raw": raw, "max": MAX_AMOUNT}
        )
        return None
    return value
