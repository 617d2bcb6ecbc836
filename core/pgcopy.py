"""Rows for PostgreSQL's binary COPY, packed from numpy columns without a Python loop per row.

The format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): a header,
then per row the number of fields and, per field, its length in bytes (-1 for NULL) and its
bytes, big-endian; then a trailer. Rows whose text values and NULLs are alike have the same
layout, so each such group is one numpy structured array.
"""

import struct
from dataclasses import dataclass

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
# PostgreSQL's binary timestamps count microseconds from 2000-01-01 UTC.
POSTGRES_EPOCH_US = 946_684_800 * 1_000_000

_FIXED = {"int8": ">i8", "float8": ">f8", "timestamptz": ">i8"}


@dataclass(frozen=True)
class Column:
    """One column: ``kind`` int8, float8, timestamptz (``values`` in microseconds since
    1970-01-01 UTC) or text (``values`` are codes into ``labels``); ``null`` marks NULLs."""

    kind: str
    values: np.ndarray
    labels: tuple[str, ...] = ()
    null: np.ndarray | None = None


def binary_copy_data(columns: list[Column]) -> bytes:
    """The rows (in any order) as one binary COPY stream."""
    return HEADER + binary_copy_rows(columns) + TRAILER


def binary_copy_rows(columns: list[Column]) -> bytes:
    """The rows (in any order), without the stream's header and trailer: for a stream written
    in parts (HEADER, the parts, TRAILER)."""
    count = len(columns[0].values)
    layout = np.zeros(count, dtype=np.int64)  # which group of alike rows each row is in
    for column in columns:
        if column.kind == "text":
            layout = layout * len(column.labels) + column.values
        if column.null is not None:
            layout = layout * 2 + column.null
    return b"".join(
        _packed(columns, np.flatnonzero(layout == group), int(group)) for group in np.unique(layout)
    )


def _packed(columns: list[Column], rows: np.ndarray, group: int) -> bytes:
    # The group number, taken apart again column by column (last packed, first taken).
    label, null = {}, {}
    for i in reversed(range(len(columns))):
        column = columns[i]
        if column.null is not None:
            group, null[i] = divmod(group, 2)
        if column.kind == "text":
            group, label[i] = divmod(group, len(column.labels))
    fields = [("fields", ">i2")]
    for i, column in enumerate(columns):
        fields.append((f"length{i}", ">i4"))
        if null.get(i):
            continue
        if column.kind == "text":
            fields.append((f"value{i}", f"S{len(column.labels[label[i]].encode())}"))
        else:
            fields.append((f"value{i}", _FIXED[column.kind]))
    packed = np.empty(len(rows), dtype=np.dtype(fields))
    packed["fields"] = len(columns)
    for i, column in enumerate(columns):
        if null.get(i):
            packed[f"length{i}"] = -1
        elif column.kind == "text":
            text = column.labels[label[i]].encode()
            packed[f"length{i}"] = len(text)
            packed[f"value{i}"] = text
        else:
            packed[f"length{i}"] = 8
            values = column.values[rows]
            packed[f"value{i}"] = (
                values - POSTGRES_EPOCH_US if column.kind == "timestamptz" else values
            )
    return packed.tobytes()
