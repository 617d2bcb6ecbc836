"""Turn a delivered body (JSON or CSV) into raw rows, or say exactly why it cannot be read.

Other formats are read by the app that knows them, which registers its reader here
(``format_register``): Green Button files by ``energy.interop``. Ingest never imports them.
"""

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import orjson

from config.errors import PayloadTooLarge, ShoeneError, ValidationFailed
from energy.models import BatchFormat

CSV_REQUIRED_COLUMNS = ("meter", "ts", "value")
CSV_COLUMNS = (*CSV_REQUIRED_COLUMNS, "quality", "source_time")

CONTENT_TYPES = {
    "application/json": BatchFormat.JSON,
    "text/csv": BatchFormat.CSV,
}


class FormatRows(NamedTuple):
    """What a registered format's reader makes of a stored batch."""

    rows: list["RawRow"]  # labelled with meter serials
    # What the reader inferred rather than read in the file, one sentence each (a Green Button
    # usage point's commodity taken from its reading types): kept on the batch as its notes.
    notes: list[str]


class RegisteredFormat(NamedTuple):
    """How ingest reads a format another app owns."""

    readings_count: Callable[[str], int]  # readings in a body; raises ValidationFailed
    rows: Callable[[Any], FormatRows]  # a stored batch's rows and notes


_REGISTERED: dict[str, RegisteredFormat] = {}


def format_register(
    fmt: str, *, readings_count: Callable[[str], int], rows: Callable[[Any], FormatRows]
) -> None:
    """Let ingest read ``fmt`` (called from the owning app's ``AppConfig.ready``)."""
    _REGISTERED[fmt] = RegisteredFormat(readings_count=readings_count, rows=rows)


def format_registered(fmt: str) -> RegisteredFormat | None:
    return _REGISTERED.get(fmt)


class UnsupportedFormat(ShoeneError):
    code = "unsupported_media_type"
    http_status = 415


class RawRow(NamedTuple):
    """One row as delivered; ``line`` is the CSV line or the JSON array index (1-based)."""

    line: int
    meter: Any
    ts: Any
    value: Any
    quality: Any = None
    problem: str | None = None  # set when the row's shape is wrong (malformed)
    reason: str | None = None  # the rejection reason for ``problem`` (default: malformed)
    source_time: Any = None  # when the source produced the value (else the batch's time)

    def as_dict(self) -> dict[str, Any]:
        row = {"meter": self.meter, "ts": self.ts, "value": self.value, "quality": self.quality}
        if self.source_time is not None:
            row["source_time"] = self.source_time
        return row


def format_for_content_type(content_type: str) -> BatchFormat:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        return CONTENT_TYPES[media_type]
    except KeyError:
        raise UnsupportedFormat(
            f"Content-Type {media_type or '(none)'!r} is not accepted; "
            "send application/json or text/csv.",
        ) from None


def decode_body(body: bytes) -> str:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"The body is not UTF-8: invalid byte at offset {exc.start}.",
            code="unparseable",
            details={"offset": exc.start},
        ) from exc
    nul = body.find(b"\x00")
    if nul != -1:  # PostgreSQL text cannot hold NUL, and no reading needs one
        raise ValidationFailed(
            f"The body contains a NUL byte at offset {nul}.",
            code="unparseable",
            details={"offset": nul},
        )
    return text


def payload_check(*, text: str, fmt: str, max_rows: int) -> int:
    """Check the body can be read as a whole and is within the row limit; return the row count.

    Raises ``ValidationFailed`` (with line and column where known) or ``PayloadTooLarge``.
    Individual bad rows are not an error here: they are rejected one by one later.
    """
    if fmt == BatchFormat.JSON:
        count = len(_json_readings(text))
    elif fmt in _REGISTERED:
        count = _REGISTERED[fmt].readings_count(text)
    elif csv_plain_columns(text) is not None and _lines_within_field_limit(text):
        # One row per line, none the csv module could refuse: counting lines is enough.
        count = text.count("\n") - (1 if text.endswith("\n") else 0)
    else:
        count = sum(1 for _ in _csv_records(text))
    if count == 0:
        raise ValidationFailed("The body holds no readings.", code="empty")
    if count > max_rows:
        raise PayloadTooLarge(
            f"The body holds {count} readings; at most {max_rows} are accepted per request. "
            "Split it into several requests.",
            details={"rows": count, "max_rows": max_rows},
        )
    return count


def parse_rows(*, text: str, fmt: str) -> Iterator[RawRow]:
    """Yield the rows of a JSON or CSV body that ``payload_check`` accepted.

    Formats registered by other apps (``format_register``) give their rows themselves: Green
    Button files name usage points, not meters, and ``energy.interop`` maps them.
    """
    if fmt == BatchFormat.JSON:
        yield from _json_rows(text)
    else:
        yield from _csv_rows(text)


def _json_readings(text: str) -> list[Any]:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            code="unparseable",
            details={"line": exc.lineno, "column": exc.colno},
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("readings"), list):
        raise ValidationFailed(
            'The JSON body must be an object with a "readings" array.',
            code="unparseable",
        )
    return document["readings"]


def _json_rows(text: str) -> Iterator[RawRow]:
    may_hold_nul = "\\u0000" in text  # JSON can only carry NUL escaped
    for index, item in enumerate(_json_readings(text), start=1):
        if not isinstance(item, dict):
            yield RawRow(index, None, None, None, problem="each reading must be a JSON object")
            continue
        if may_hold_nul:
            fields = [item.get(key) for key in CSV_COLUMNS]
            cleaned = _without_nul(fields)
            if cleaned != fields:
                # PostgreSQL text and jsonb cannot hold NUL: report the row with U+FFFD instead.
                meter, ts, value, quality, source_time = cleaned
                yield RawRow(
                    index,
                    meter,
                    ts,
                    value,
                    quality,
                    problem="text must not contain NUL characters",
                    source_time=source_time,
                )
                continue
        missing = [key for key in CSV_REQUIRED_COLUMNS if key not in item]
        yield RawRow(
            index,
            item.get("meter"),
            item.get("ts"),
            item.get("value"),
            item.get("quality"),
            problem=f"missing {', '.join(missing)}" if missing else None,
            source_time=item.get("source_time"),
        )


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _lines_within_field_limit(text: str) -> bool:
    limit = csv.field_size_limit()
    return len(text) <= limit or max(map(len, text.split("\n"))) <= limit


def csv_plain_columns(text: str) -> list[str] | None:
    """The body's columns when it is plain CSV, one row per line (no quotes, no carriage
    returns, no blank lines) under a valid header, else None: such a body reads the same split
    line by line and comma by comma as through the csv module (energy/ingest/staging.py)."""
    if '"' in text or "\r" in text or "\n\n" in text or text.startswith("\n"):
        return None
    header, _, _ = text.partition("\n")
    columns = [column.strip().lower() for column in header.split(",")]
    if (
        len(set(columns)) != len(columns)
        or any(column not in CSV_COLUMNS for column in columns)
        or any(column not in columns for column in CSV_REQUIRED_COLUMNS)
    ):
        return None
    return columns


def _csv_header(reader: Any) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed("The CSV body is empty.", code="empty") from None
    except csv.Error as exc:
        raise _csv_error(exc, reader.line_num) from exc
    columns = [column.strip().lower() for column in header]
    missing = [column for column in CSV_REQUIRED_COLUMNS if column not in columns]
    unknown = [column for column in columns if column not in CSV_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        raise ValidationFailed(
            "The CSV header must be meter,ts,value[,quality][,source_time]"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + ".",
            code="unparseable",
            details={"line": 1, "header": header},
        )
    return columns


def _csv_records(text: str) -> Iterator[tuple[int, list[str], list[str], int]]:
    reader = csv.reader(io.StringIO(text), strict=True)
    columns = _csv_header(reader)
    width = len(columns)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_error(exc, reader.line_num) from exc
        if not record:
            continue  # blank line
        yield reader.line_num, record, columns, width


def _csv_rows(text: str) -> Iterator[RawRow]:
    for line, record, columns, width in _csv_records(text):
        if len(record) != width:
            yield RawRow(
                line, None, None, None, problem=f"expected {width} fields, found {len(record)}"
            )
            continue
        if columns == ["meter", "ts", "value"]:  # the usual order, without a dict
            yield RawRow(line, record[0], record[1], record[2])
        else:
            fields = dict(zip(columns, record, strict=True))
            yield RawRow(
                line,
                fields["meter"],
                fields["ts"],
                fields["value"],
                fields.get("quality") or None,
                source_time=fields.get("source_time") or None,
            )


def _csv_error(exc: csv.Error, line: int) -> ValidationFailed:
    return ValidationFailed(
        f"The CSV body cannot be read: {exc} (line {line}).",
        code="unparseable",
        details={"line": line},
    )
