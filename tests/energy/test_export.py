"""Bulk export of readings: the streams' exact content, on both row sources."""

import io
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from django.db import connection
from rest_framework.test import APIClient

from energy import export as export_module
from energy.apikeys.models import ApiScope
from energy.export import (
    ExportMeter,
    ReadingsExport,
    _columns_orm,
    readings_csv_chunks,
    readings_export_stream,
)
from energy.models import Meter, Reading
from tests import factories

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def export_meter(meter: Meter) -> ExportMeter:
    return ExportMeter(meter.pk, meter.serial, meter.unit, meter.interval_minutes)


def readings_add(meter: Meter, rows: list[tuple[datetime, float, str]]) -> None:
    Reading.objects.bulk_create(
        Reading(meter=meter, ts=ts, value=value, quality=quality) for ts, value, quality in rows
    )


@pytest.fixture
def two_meters(db):
    a = factories.MeterFactory(serial="E-0002")
    b = factories.MeterFactory(serial='E,0001 "quoted"', premise=a.premise)
    readings_add(
        a,
        [
            (utc(2025, 1, 1, 0, 30), 0.125, "measured"),
            (utc(2025, 1, 1, 0, 0), 1.0, "measured"),
            (utc(2025, 1, 2, 23, 30), 0.00001, "estimated"),
            (utc(2025, 1, 3, 0, 0), 9.0, "measured"),  # == end: excluded
            (utc(2024, 12, 31, 23, 30), 7.0, "measured"),  # before start: excluded
        ],
    )
    readings_add(b, [(utc(2025, 1, 2, 12, 0), 123456.789, "measured")])
    return a, b


def csv_of(export: ReadingsExport) -> str:
    return b"".join(readings_export_stream(export=export, fmt="csv")).decode()


def test_csv_rows_ordered_by_serial_then_time_with_exact_content(two_meters):
    a, b = two_meters
    export = ReadingsExport(
        meters=(export_meter(b), export_meter(a)), start=T0, end=utc(2025, 1, 3)
    )
    assert csv_of(export) == (
        "meter,ts,value,unit,quality\n"
        '"E,0001 ""quoted""",2025-01-02T12:00:00Z,123456.789,kWh,measured\n'
        "E-0002,2025-01-01T00:00:00Z,1,kWh,measured\n"
        "E-0002,2025-01-01T00:30:00Z,0.125,kWh,measured\n"
        "E-0002,2025-01-02T23:30:00Z,0.00001,kWh,estimated\n"
    )


def test_csv_quality_filter_and_an_empty_export(two_meters):
    a, _ = two_meters
    export = ReadingsExport(
        meters=(export_meter(a),), start=T0, end=utc(2025, 1, 3), quality="estimated"
    )
    assert csv_of(export).splitlines()[1:] == ["E-0002,2025-01-02T23:30:00Z,0.00001,kWh,estimated"]
    nothing = ReadingsExport(meters=(export_meter(a),), start=utc(2030, 1, 1), end=utc(2030, 2, 1))
    assert csv_of(nothing) == "meter,ts,value,unit,quality\n"
    assert csv_of(ReadingsExport(meters=(), start=T0, end=utc(2025, 1, 3))) == (
        "meter,ts,value,unit,quality\n"
    )


def test_parquet_reads_back_with_the_same_rows(two_meters):
    a, b = two_meters
    export = ReadingsExport(
        meters=(export_meter(b), export_meter(a)), start=T0, end=utc(2025, 1, 3)
    )
    data = b"".join(readings_export_stream(export=export, fmt="parquet"))
    table = pq.read_table(io.BytesIO(data))
    assert table.column_names == ["meter", "ts", "value", "unit", "quality"]
    assert str(table.schema.field("ts").type) == "timestamp[us, tz=UTC]"
    assert table.to_pylist() == [
        {
            "meter": 'E,0001 "quoted"',
            "ts": utc(2025, 1, 2, 12),
            "value": 123456.789,
            "unit": "kWh",
            "quality": "measured",
        },
        {"meter": "E-0002", "ts": utc(2025, 1, 1), "value": 1.0, "unit": "kWh",
         "quality": "measured"},
        {"meter": "E-0002", "ts": utc(2025, 1, 1, 0, 30), "value": 0.125, "unit": "kWh",
         "quality": "measured"},
        {"meter": "E-0002", "ts": utc(2025, 1, 2, 23, 30), "value": 0.00001, "unit": "kWh",
         "quality": "estimated"},
    ]  # fmt: skip


def test_large_exports_come_in_windows_and_row_groups(db, monkeypatch):
    """Memory stays flat: a window holds at most WINDOW_MAX_ROWS readings, a row group
    ROW_GROUP_ROWS; the rows and their order are the same as in one piece."""
    meters = [factories.MeterFactory(serial=f"E-{i}") for i in range(3)]
    for i, meter in enumerate(meters):
        readings_add(
            meter,
            [(T0 + timedelta(minutes=30 * k), round(0.001 * (k + i), 3), "measured")
             for k in range(500)],
        )  # fmt: skip
    export = ReadingsExport(
        meters=tuple(export_meter(m) for m in meters), start=T0, end=T0 + timedelta(days=30)
    )
    whole_csv = csv_of(export)
    whole_parquet = pq.read_table(
        io.BytesIO(b"".join(readings_export_stream(export=export, fmt="parquet")))
    )
    monkeypatch.setattr(export_module, "WINDOW_MAX_ROWS", 64)
    monkeypatch.setattr(export_module, "ROW_GROUP_ROWS", 200)
    chunks = list(readings_export_stream(export=export, fmt="csv"))
    assert b"".join(chunks).decode() == whole_csv
    assert len(chunks) == 1 + 3 * 8  # the header, then 500 readings in windows of 64
    assert max(chunk.count(b"\n") for chunk in chunks) == 64
    parquet = pq.ParquetFile(
        io.BytesIO(b"".join(readings_export_stream(export=export, fmt="parquet")))
    )
    assert parquet.metadata.num_rows == 1500
    assert parquet.metadata.num_row_groups == 1500 // 256 + 1  # 4 windows of 64 per group
    assert parquet.read().equals(whole_parquet)
    assert len(whole_csv.splitlines()) == 1501


def test_the_orm_source_gives_the_same_bytes_as_copy(postgresql, two_meters):
    """The embedded default (SQLite) reads through the ORM; on PostgreSQL both sources must
    agree byte for byte."""
    a, b = two_meters
    export = ReadingsExport(
        meters=(export_meter(b), export_meter(a)), start=T0, end=utc(2025, 1, 3)
    )
    via_orm = b"".join(readings_csv_chunks(columns=_columns_orm(export), export=export))
    assert via_orm.decode() == csv_of(export)


# --- Through the API ----------------------------------------------------------------------

CSV_URL = "/api/v1/export/readings.csv"
PARQUET_URL = "/api/v1/export/readings.parquet"
RANGE = {"start": "2025-01-01T00:00:00Z", "end": "2025-01-03T00:00:00Z"}


@pytest.fixture
def export_client(api_client_for):
    return api_client_for(ApiScope.EXPORT)


def test_api_csv_for_named_meters(two_meters, export_client):
    a, _ = two_meters
    other = factories.MeterFactory(serial="E-9999")
    readings_add(other, [(utc(2025, 1, 1), 5.0, "measured")])
    response = export_client.get(CSV_URL, {**RANGE, "meter": [f"{a.serial},{other.serial}"]})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="readings_20250101T000000Z_20250103T000000Z.csv"'
    )
    assert response.getvalue().decode() == (
        "meter,ts,value,unit,quality\n"
        "E-0002,2025-01-01T00:00:00Z,1,kWh,measured\n"
        "E-0002,2025-01-01T00:30:00Z,0.125,kWh,measured\n"
        "E-0002,2025-01-02T23:30:00Z,0.00001,kWh,estimated\n"
        "E-9999,2025-01-01T00:00:00Z,5,kWh,measured\n"
    )
    # Repeated parameters, a local offset (09:00 in Tokyo is midnight UTC) and a quality.
    response = export_client.get(
        CSV_URL,
        {"meter": [other.serial, a.serial], "start": "2025-01-01T09:00:00+09:00",
         "end": RANGE["end"], "quality": "measured"},
    )  # fmt: skip
    assert response.getvalue().decode().splitlines()[1:] == [
        "E-0002,2025-01-01T00:00:00Z,1,kWh,measured",
        "E-0002,2025-01-01T00:30:00Z,0.125,kWh,measured",
        "E-9999,2025-01-01T00:00:00Z,5,kWh,measured",
    ]


def test_api_parquet_for_every_meter(two_meters, export_client):
    response = export_client.get(PARQUET_URL, RANGE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    assert response["Content-Disposition"].endswith('20250103T000000Z.parquet"')
    table = pq.read_table(io.BytesIO(response.getvalue()))
    assert table.num_rows == 4
    assert table.column("meter").to_pylist() == ['E,0001 "quoted"'] + ["E-0002"] * 3
    assert table.column("value").to_pylist() == [123456.789, 1.0, 0.125, 0.00001]


def test_api_needs_a_key_with_the_export_scope(two_meters, api_client_for):
    response = APIClient().get(CSV_URL, RANGE)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    response = api_client_for(ApiScope.INGEST).get(PARQUET_URL, RANGE)
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message", "details"}
    assert "export" in response.json()["message"]


def test_api_a_customer_exports_only_their_own_meters(two_meters):
    a, _ = two_meters
    stranger = factories.MeterFactory(serial="E-STRANGER")
    readings_add(stranger, [(utc(2025, 1, 1), 5.0, "measured")])
    client = APIClient()
    client.force_login(a.premise.owner)
    lines = client.get(CSV_URL, RANGE).getvalue().decode().splitlines()
    assert len(lines) == 5
    assert not any(line.startswith("E-STRANGER") for line in lines)
    response = client.get(CSV_URL, {**RANGE, "meter": f"{a.serial},E-STRANGER"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["details"] == {"meters": ["E-STRANGER"]}
    assert client.get(PARQUET_URL, {**RANGE, "meter": "E-NOWHERE"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"end": RANGE["end"]}, "invalid", "start"),
        ({"start": RANGE["start"]}, "invalid", "end"),
        ({**RANGE, "start": "yesterday"}, "invalid", "start"),
        ({**RANGE, "start": "2025-01-01T00:00:00"}, "invalid", "start"),  # no offset
        ({**RANGE, "start": "2025-01-01"}, "invalid", "start"),
        ({**RANGE, "quality": "guessed"}, "invalid", "quality"),
        ({"start": RANGE["end"], "end": RANGE["start"]}, "invalid", None),
        ({"start": RANGE["start"], "end": RANGE["start"]}, "invalid", None),
        ({"start": "2020-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}, "range_too_long", None),
    ],
)
def test_api_bad_parameters_are_400_before_streaming(two_meters, export_client, query, code, field):
    response = export_client.get(CSV_URL, query, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert not response.streaming
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    if field:
        assert field in body["details"]


def test_export_under_the_debug_cursor(two_meters, export_client):
    """DEBUG (and query capture) wraps cursors in Django's debug cursor, whose copy() takes no
    parameters; the export must not depend on it."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection):
        response = export_client.get(CSV_URL, RANGE)
        assert len(response.getvalue().decode().splitlines()) == 5


def test_api_times_far_out_are_400_not_500(export_client):
    for query in (
        {"start": "0001-01-01T00:00:00Z", "end": "0001-01-02T00:00:00Z"},
        {"start": "9999-12-31T00:00:00Z", "end": "9999-12-31T23:00:00-05:00"},
    ):
        response = export_client.get(CSV_URL, query)
        assert response.status_code == 400, response.content


@pytest.mark.django_db(transaction=True)
def test_an_export_in_its_own_transaction_reads_one_snapshot_on_two_connections(postgresql):
    """Outside a caller's transaction the export opens a REPEATABLE READ one and a second
    connection shares its snapshot: rows are the same and in order, and a reading committed
    meanwhile is in neither half."""
    meters = [factories.MeterFactory(serial=f"E-{i}") for i in range(4)]
    for i, meter in enumerate(meters):
        readings_add(meter, [(T0 + timedelta(minutes=30 * k), i + k / 8, "measured")
                             for k in range(5)])  # fmt: skip
    export = ReadingsExport(
        meters=tuple(export_meter(m) for m in meters), start=T0, end=T0 + timedelta(days=1)
    )
    assert not connection.in_atomic_block
    stream = readings_export_stream(export=export, fmt="csv")
    chunks = [next(stream), next(stream)]  # the header and the first meter
    other = connection.copy()  # another session commits a reading after the snapshot
    with other.cursor() as cursor:
        cursor.execute(
            "INSERT INTO energy_reading (meter_id, ts, value, quality) VALUES (%s, %s, 9, %s)",
            [meters[3].pk, T0 + timedelta(hours=12), "measured"],
        )
    other.close()
    chunks.extend(stream)
    lines = b"".join(chunks).decode().splitlines()
    assert lines[0] == "meter,ts,value,unit,quality"
    assert len(lines) == 1 + 4 * 5
    assert lines[1:6] == [
        f"E-0,2025-01-01T{k // 2:02d}:{30 * (k % 2):02d}:00Z,{k / 8:g},kWh,measured"
        for k in range(5)
    ]
    assert [line.split(",")[0] for line in lines[1:]] == [
        f"E-{i}" for i in range(4) for _ in range(5)
    ]
    assert not connection.in_atomic_block
