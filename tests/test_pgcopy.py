"""``core.pgcopy``: rows packed from numpy columns reach PostgreSQL exactly as given, NULLs and
text values of any length included."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection

from core.pgcopy import HEADER, TRAILER, Column, binary_copy_data, binary_copy_rows

pytestmark = pytest.mark.usefixtures("postgresql")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def copied(data: bytes) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE packed (id int8, at timestamptz, value float8, label text, "
            "maybe timestamptz)"
        )
        with cursor.copy("COPY packed FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(data)
        cursor.execute("SELECT id, at, value, label, maybe FROM packed ORDER BY id")
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE packed")
    return rows


def columns(n: int) -> list[Column]:
    ids = np.arange(n, dtype=np.int64) - 3  # negative ids too
    micros = ids * 1_800_000_000 + 1_700_000_000_123_456  # microseconds, not whole seconds
    values = np.array([0.1, -0.0, 1e-300, 5e-324, math.inf, 2 / 3, 1e300][:n] * (n // 7 + 1))[:n]
    labels = ("measured", "estimated", "見積り")  # a label of multi-byte characters
    return [
        Column("int8", ids),
        Column("timestamptz", micros),
        Column("float8", values),
        Column("text", ids % 3 + 3 * (ids < 0), labels=labels + labels),
        Column("timestamptz", micros + 1, null=(ids % 2 == 0).astype(np.int64)),
    ]


def expected(cols: list[Column]) -> list[tuple]:
    ids, micros, values, labels, maybe = cols
    return [
        (
            int(ids.values[i]),
            EPOCH + timedelta(microseconds=int(micros.values[i])),
            float(values.values[i]),
            labels.labels[labels.values[i]],
            None if maybe.null[i] else EPOCH + timedelta(microseconds=int(maybe.values[i])),
        )
        for i in range(len(ids.values))
    ]


def test_rows_arrive_as_given():
    cols = columns(20)
    assert copied(binary_copy_data(cols)) == expected(cols)


def test_a_stream_written_in_parts_is_one_copy():
    first, second = columns(7), columns(20)
    second = [
        Column(c.kind, c.values + (100 if c.kind == "int8" else 0), c.labels, c.null)
        for c in second
    ]
    data = HEADER + binary_copy_rows(first) + binary_copy_rows(second) + TRAILER

    assert copied(data) == expected(first) + expected(second)


def test_no_rows_is_an_empty_copy():
    assert copied(binary_copy_data(columns(0))) == []
