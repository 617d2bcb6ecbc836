"""Bulk export of readings as CSV or Parquet, streamed with flat memory however large the range.

Rows are ordered by meter serial, then interval start. Columns: meter serial, ts (the interval
start, UTC, ISO 8601), value, unit and quality.

Where the rows come from: on PostgreSQL one binary ``COPY (SELECT ...) TO STDOUT`` per meter and
window (``cursor.copy()``), returning the window's timestamps, values and qualities as three
arrays that numpy reads without a Python object per reading; elsewhere (SQLite, the embedded
default) ``QuerySet.iterator(chunk_size=...)``. Either way a window is at most
``WINDOW_MAX_ROWS`` readings. Both sources feed the same writers, so the two databases give the
same bytes: CSV lines are assembled with numpy and Arrow's compute kernels, Parquet is written
row group by row group with ``pyarrow.parquet.ParquetWriter``.

The generators read the database after the view has returned: a WSGI server iterates the
response in the request's thread before it closes it, and Django closes the connection only then
(``request_finished``). Each export runs in one read-only transaction (REPEATABLE READ when the
export opens it), so every meter is read from the same snapshot.
"""

import csv
import io
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import connection, transaction
from psycopg import sql

from config.errors import ShoeneError, ValidationFailed
from energy.models import Quality, Reading

logger = logging.getLogger(__name__)

COLUMNS = ("meter", "ts", "value", "unit", "quality")
# Readings per database round trip (and at most per CSV chunk): ~12 MB of arrays at most.
WINDOW_MAX_ROWS = 100_000
# Parquet rows per row group: large enough for column statistics to pay, ~30 MB in memory.
ROW_GROUP_ROWS = 500_000
# Quality codes sent by the database: 0 for a value outside the choices (not expected).
QUALITIES = ("", *Quality.values)

DAY_US = 86_400_000_000
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# PostgreSQL's binary timestamptz counts microseconds from 2000-01-01 UTC.
PG_EPOCH_UNIX_US = 946_684_800 * 1_000_000
# Binary COPY (PostgreSQL docs, "COPY", "Binary Format"): an 11-byte signature, flags and the
# header extension length; each tuple starts with its field count; -1 as the count ends the data.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
# A one-dimensional array in binary: ndim, has-nulls flag, element type, then per dimension
# its size and lower bound; then each element as (length, value).
ARRAY_HEADER_BYTES = 20


class MeterNotFound(ShoeneError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class ExportMeter:
    id: int
    serial: str
    unit: str
    interval_minutes: int


@dataclass(frozen=True)
class ReadingsExport:
    """What to export: meters in output order, ``[start, end)`` in UTC, optional quality."""

    meters: tuple[ExportMeter, ...]
    start: datetime
    end: datetime
    quality: str | None = None

    def filename(self, extension: str) -> str:
        stamp = "%Y%m%dT%H%M%SZ"
        return (
            f"readings_{self.start.astimezone(UTC):{stamp}}_"
            f"{self.end.astimezone(UTC):{stamp}}.{extension}"
        )


@dataclass(frozen=True)
class ReadingColumns:
    """One meter's readings in one window, as arrays."""

    meter: ExportMeter
    ts_us: np.ndarray  # int64, microseconds since the Unix epoch, UTC
    value: np.ndarray  # float64
    quality: np.ndarray  # int code into QUALITIES

    def __len__(self) -> int:
        return len(self.ts_us)


def export_meters_resolve(*, visible, serials: list[str]) -> tuple[ExportMeter, ...]:
    """The meters to export, by serial: the named ones (all must be visible), or all visible.

    ``visible`` is the caller's meter queryset; a serial outside it is not found, whether it
    exists or not.
    """
    meters = visible.order_by("serial")
    if serials:
        meters = meters.filter(serial__in=serials)
    found = tuple(
        ExportMeter(*row)
        for row in meters.values_list("pk", "serial", "unit", "interval_minutes").iterator(
            chunk_size=2000
        )
    )
    missing = sorted(set(serials) - {meter.serial for meter in found})
    if missing:
        raise MeterNotFound(
            f"No meter {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''} "
            "is visible to you.",
            details={"meters": missing},
        )
    return found


# Readings outside these years are not ours: a sanity bound, not a business rule.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def export_range_check(*, start: datetime, end: datetime, max_days: int) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("start and end need a UTC offset, e.g. 2025-01-01T00:00:00Z.")
    if start < EARLIEST or end > LATEST:
        raise ValidationFailed(
            f"start and end must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}.",
            details={"start": start.isoformat(), "end": end.isoformat()},
        )
    if end <= start:
        raise ValidationFailed(
            "end must be after start (end is exclusive).",
            details={"start": start.isoformat(), "end": end.isoformat()},
        )
    if end - start > timedelta(days=max_days):
        raise ValidationFailed(
            f"The range is {(end - start).days} days; at most {max_days} days are exported "
            "per request. Split it into several requests.",
            code="range_too_long",
            details={"max_days": max_days},
        )


# --- Sources: one meter's window of readings at a time -----------------------------------


def _windows(export: ReadingsExport, meter: ExportMeter) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end)`` cut so that one window holds at most WINDOW_MAX_ROWS readings."""
    step = timedelta(minutes=meter.interval_minutes * WINDOW_MAX_ROWS)
    start = export.start
    while start < export.end:
        end = min(start + step, export.end)
        yield start, end
        start = end


def _columns_postgresql(
    export: ReadingsExport, *, snapshot_shared: bool = False
) -> Iterator[ReadingColumns]:
    """``snapshot_shared``: the transaction is the export's own (REPEATABLE READ), so a second
    connection can share its snapshot."""
    quality_filter = "AND quality = %s" if export.quality else ""
    # The quality as its index in QUALITIES (a CASE costs half what array_position does).
    quality_code = " ".join(f"WHEN %s THEN {code}" for code in range(1, len(QUALITIES)))
    # The subquery sorts (an index range scan on the (meter_id, ts) key); array_agg keeps its
    # order. One array per column: a window costs one message, not one per reading.
    statement = f"""
        COPY (
            SELECT array_agg(ts), array_agg(value),
                   array_agg(CASE quality {quality_code} ELSE 0 END::int2)
            FROM (
                SELECT ts, value, quality FROM {Reading._meta.db_table}
                WHERE meter_id = %s AND ts >= %s AND ts < %s {quality_filter}
                ORDER BY ts
            ) AS window_readings
        ) TO STDOUT (FORMAT BINARY)
    """

    def fetch(cursor, meter: ExportMeter, start: datetime, end: datetime) -> ReadingColumns | None:
        params = [*QUALITIES[1:], meter.id, start, end]
        if export.quality:
            params.append(export.quality)
        with cursor.copy(statement, params) as copy:
            data = b"".join(copy)
        return _columns_from_copy(meter, data)

    windows = [(meter, *window) for meter in export.meters for window in _windows(export, meter)]
    if not windows:
        return
    # Fetcher threads run the statements (one connection each, one statement at a time) while
    # the caller formats: PostgreSQL and the formatting then use both cores. With a second
    # connection on the same snapshot, two backends aggregate alternate windows. psycopg's own
    # cursor: Django's debug cursor (DEBUG, or a test capturing queries) has a copy() without
    # parameters.
    with ExitStack() as stack:
        django_cursor = stack.enter_context(connection.cursor())
        cursors = [stack.enter_context(django_cursor.connection.cursor())]
        if snapshot_shared and len(windows) > 1:
            cursors.append(stack.enter_context(_snapshot_cursor(django_cursor.connection)))
        fetchers = [
            stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="export-fetch"))
            for _ in cursors
        ]

        def submit(index: int):
            lane = index % len(cursors)
            return fetchers[lane].submit(fetch, cursors[lane], *windows[index])

        pending = deque(submit(index) for index in range(len(cursors)))
        for index in range(len(windows)):
            columns = pending.popleft().result()
            if index + len(cursors) < len(windows):
                pending.append(submit(index + len(cursors)))
            try:
                if columns is not None:
                    yield columns
            except GeneratorExit:
                for future in pending:
                    future.cancel()
                wait(pending)  # the connections are free again before the rollback
                raise


@contextmanager
def _snapshot_cursor(main):
    """A cursor on a second connection that sees what ``main``'s transaction sees."""
    snapshot = main.execute("SELECT pg_export_snapshot()").fetchone()[0]
    params = connection.get_connection_params()
    with psycopg.connect(**params) as second:
        second.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        second.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        with second.cursor() as cursor:
            yield cursor
        second.rollback()


def _columns_from_copy(meter: ExportMeter, data: bytes) -> ReadingColumns | None:
    if not data.startswith(COPY_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    (extension,) = np.frombuffer(data, ">i4", 1, 15).tolist()
    offset = 19 + extension
    (fields,) = np.frombuffer(data, ">i2", 1, offset).tolist()
    if fields != 3:
        raise ValueError(f"expected 3 fields in the COPY row, found {fields}")
    offset += 2
    arrays = []
    for element in (">i8", ">f8", ">i2"):
        array, offset = _array_from_copy(data, offset, element)
        arrays.append(array)
    ts, value, quality = arrays
    if ts is None:  # no readings in the window: array_agg of nothing is NULL
        return None
    return ReadingColumns(
        meter=meter,
        ts_us=ts.astype(np.int64) + PG_EPOCH_UNIX_US,
        value=value.astype(np.float64),
        quality=quality.astype(np.int8),
    )


def _array_from_copy(data: bytes, offset: int, element: str) -> tuple[np.ndarray | None, int]:
    (length,) = np.frombuffer(data, ">i4", 1, offset).tolist()
    offset += 4
    if length == -1:
        return None, offset
    ndim, has_nulls, _ = np.frombuffer(data, ">i4", 3, offset).tolist()
    if ndim == 0:
        return np.empty(0, dtype=element), offset + length
    if ndim != 1 or has_nulls:
        raise ValueError("expected a one-dimensional array without NULLs")
    (count,) = np.frombuffer(data, ">i4", 1, offset + 12).tolist()
    size = np.dtype(element).itemsize
    items = np.frombuffer(
        data,
        np.dtype([("length", ">i4"), ("value", element)]),
        count,
        offset + ARRAY_HEADER_BYTES,
    )
    if count and not (items["length"] == size).all():
        raise ValueError("unexpected array element length")
    return items["value"], offset + length


def _columns_orm(export: ReadingsExport) -> Iterator[ReadingColumns]:
    codes = {quality: code for code, quality in enumerate(QUALITIES)}
    for meter in export.meters:
        for start, end in _windows(export, meter):
            readings = Reading.objects.filter(meter_id=meter.id, ts__gte=start, ts__lt=end)
            if export.quality:
                readings = readings.filter(quality=export.quality)
            ts_us, values, qualities = [], [], []
            for ts, value, quality in (
                readings.order_by("ts")
                .values_list("ts", "value", "quality")
                .iterator(chunk_size=10_000)
            ):
                delta = ts - UNIX_EPOCH
                ts_us.append((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
                values.append(value)
                qualities.append(codes.get(quality, 0))
            if ts_us:
                yield ReadingColumns(
                    meter=meter,
                    ts_us=np.array(ts_us, dtype=np.int64),
                    value=np.array(values, dtype=np.float64),
                    quality=np.array(qualities, dtype=np.int8),
                )


def readings_columns(*, export: ReadingsExport) -> Iterator[ReadingColumns]:
    """The export's readings, one meter window at a time, in one read-only transaction."""
    opens_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            if opens_transaction:  # inside a caller's transaction the snapshot is the caller's
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield from _columns_postgresql(export, snapshot_shared=opens_transaction)
        else:
            yield from _columns_orm(export)


# --- CSV --------------------------------------------------------------------------------


@cache
def _time_of_day_bytes() -> np.ndarray:
    """``HH:MM:SSZ,`` for every second of a day, as an (86400, 10) byte table."""
    seconds = np.arange(86_400)
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    table = np.empty((86_400, 10), dtype=np.uint8)
    for column, digits in enumerate(
        (hours // 10, hours % 10, None, minutes // 10, minutes % 10, None, secs // 10, secs % 10)
    ):
        table[:, column] = ord(":") if digits is None else ord("0") + digits
    table[:, 8], table[:, 9] = ord("Z"), ord(",")
    return table


def _csv_field(text: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([text])
    return out.getvalue()


class _CsvLines:
    """Turns columns into CSV lines without a Python object per reading.

    A line is ``<serial>,<date>T<time>Z,<value>,<unit>,<quality>\\n``: the serial and date come
    from a per-meter table of the export's days, the time from a table of a day's seconds
    (timestamps are whole seconds: readings sit on a grid of whole minutes), the value from
    Arrow's shortest round-trip formatting, and the tail from a table per unit and quality.
    """

    def __init__(self, export: ReadingsExport) -> None:
        self.first_day = int(export.start.timestamp()) // 86_400
        last_day = (int(export.end.timestamp()) - 1) // 86_400
        self.days = np.arange(self.first_day, last_day + 1).astype("datetime64[D]")
        self.day_text = [f"{day}T" for day in np.datetime_as_string(self.days)]
        self.meter: ExportMeter | None = None

    def _meter_tables(self, meter: ExportMeter) -> None:
        if self.meter == meter:
            return
        prefix = _csv_field(meter.serial) + ","
        text = "".join(prefix + day for day in self.day_text).encode()
        self.day_bytes = np.frombuffer(text, dtype=np.uint8).reshape(len(self.day_text), -1)
        self.tails = pa.array(
            [f",{_csv_field(meter.unit)},{quality}\n".encode() for quality in QUALITIES],
            pa.binary(),
        )
        self.meter = meter

    def lines(self, columns: ReadingColumns) -> bytes:
        self._meter_tables(columns.meter)
        n = len(columns)
        fixed = np.concatenate(
            [
                self.day_bytes[columns.ts_us // DAY_US - self.first_day],
                _time_of_day_bytes()[(columns.ts_us % DAY_US) // 1_000_000],
            ],
            axis=1,
        )
        width = fixed.shape[1]
        heads = pa.Array.from_buffers(
            pa.binary(),
            n,
            [
                None,
                pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32)),
                pa.py_buffer(fixed),
            ],
        )
        values = pc.cast(pa.array(columns.value, pa.float64()), pa.string()).cast(pa.binary())
        tails = self.tails.take(pa.array(columns.quality, pa.int8()))
        lines = pc.binary_join_element_wise(heads, values, tails, b"")
        offsets = np.frombuffer(lines.buffers()[1], np.int32, n + 1, lines.offset * 4)
        return lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def readings_csv_chunks(*, columns: Iterable[ReadingColumns], export: ReadingsExport):
    """The CSV export: the header, then one chunk of lines per window."""
    yield (",".join(COLUMNS) + "\n").encode()
    writer = _CsvLines(export)
    for window in columns:
        yield writer.lines(window)


# --- Parquet ----------------------------------------------------------------------------

PARQUET_SCHEMA = pa.schema(
    [
        ("meter", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("quality", pa.string()),
    ]
)


class _Chunks(io.RawIOBase):
    """A write-only file that keeps what is written until it is taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _parquet_table(windows: list[ReadingColumns]) -> pa.Table:
    qualities = pa.array(QUALITIES, pa.string())
    return pa.Table.from_arrays(
        [
            pa.concat_arrays(
                [
                    pa.array([w.meter.serial], pa.string()).take(np.zeros(len(w), np.int32))
                    for w in windows
                ]
            ),
            pa.array(np.concatenate([w.ts_us for w in windows]), PARQUET_SCHEMA.field("ts").type),
            pa.array(np.concatenate([w.value for w in windows]), pa.float64()),
            pa.concat_arrays(
                [
                    pa.array([w.meter.unit], pa.string()).take(np.zeros(len(w), np.int32))
                    for w in windows
                ]
            ),
            qualities.take(pa.array(np.concatenate([w.quality for w in windows]), pa.int8())),
        ],
        schema=PARQUET_SCHEMA,
    )


def readings_parquet_chunks(*, columns: Iterable[ReadingColumns]) -> Iterator[bytes]:
    """The Parquet export: one row group per ROW_GROUP_ROWS readings, bytes as they are made."""
    sink = _Chunks()
    with pq.ParquetWriter(sink, PARQUET_SCHEMA, compression="zstd") as writer:
        pending: list[ReadingColumns] = []
        rows = 0
        for window in columns:
            pending.append(window)
            rows += len(window)
            if rows >= ROW_GROUP_ROWS:
                writer.write_table(_parquet_table(pending), row_group_size=rows)
                pending, rows = [], 0
                yield sink.take()
        if pending:
            writer.write_table(_parquet_table(pending), row_group_size=rows)
    yield sink.take()


# --- The export -------------------------------------------------------------------------

FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def readings_export_stream(*, export: ReadingsExport, fmt: str) -> Iterator[bytes]:
    """The export's bytes in the given format ("csv" or "parquet"), as they are made.

    An error once bytes have gone out cannot become an error response any more: it is logged
    and raised again, and the server ends the response early (an incomplete chunked body).
    """
    columns = readings_columns(export=export)
    if fmt == "csv":
        chunks = readings_csv_chunks(columns=columns, export=export)
    else:
        chunks = readings_parquet_chunks(columns=columns)
    try:
        yield from chunks
    except GeneratorExit:
        raise  # the client went away: the transaction is rolled back as the generators close
    except Exception:
        logger.exception(
            "Readings export failed mid-stream (%s, %d meters, %s to %s)",
            fmt,
            len(export.meters),
            export.start.isoformat(),
            export.end.isoformat(),
        )
        raise
    finally:
        chunks.close()
        columns.close()
