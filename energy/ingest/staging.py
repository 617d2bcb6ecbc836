"""The fast ingest path (PostgreSQL, CSV bodies): rows read and checked a column at a time
(pyarrow and numpy), COPYed in PostgreSQL's binary format straight into the readings table when
their time ranges hold no stored readings, and rolled up from the same arrays.

Python still decides everything the reference path decides, but once per distinct value rather
than per row: each distinct ``ts`` (and ``source_time``) string is parsed by ``RowChecker`` and
each meter's rules come from ``meter_rules``. A row the column checks do not pass as plainly
good (and the first of its meter and interval) is checked by ``RowChecker`` itself, so its
rejection carries the reference path's reason and message; if ``RowChecker`` would accept a row
the column checks refused, the batch takes the reference path instead (``Unsuitable``). So do
batches whose readings may collide with stored ones (they are merged as before, the rest of the
work kept), and bodies that PostgreSQL or pyarrow would read differently from Python's csv
module. tests/energy/test_ingest_staging.py checks both paths leave the same batches, readings,
revisions and daily rollups.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import IntegrityError, connection, transaction

from core.pgcopy import Column, binary_copy_data
from energy.ingest.parse import CSV_COLUMNS, RawRow
from energy.ingest.store import UpsertResult, readings_upsert
from energy.ingest.validate import (
    DUPLICATE_IN_BATCH,
    MeterRules,
    Rejection,
    RowChecker,
    ValidReading,
    microseconds,
    rejection,
)
from energy.models import Quality
from energy.rollups import (
    NIGHT_FIRST_HOUR,
    NIGHT_LAST_HOUR,
    daily_usage_refresh,
    day_date,
    day_number,
    utc_offsets,
)

# A value the columns may read by themselves: unsigned decimals, which Arrow's cast and
# Python's float() both round correctly to the same double, with an exponent of at most two
# digits. Anything else (signs, spaces, inf, nan, underscores) is checked by Python.
PLAIN_DECIMAL = r"^[0-9]{1,15}(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,2})?$"
# Rows are keyed meter_id * 2**35 + epoch (epochs below 2**35 reach the year 3058).
_KEY_SHIFT = 1 << 35
# Meter-days are keyed meter_id * 2**20 + local day number (days since 1970, up to 4840).
_DAY_SHIFT = 1 << 20
_QUALITIES = (Quality.MEASURED, Quality.ESTIMATED)


class Unsuitable(Exception):
    """This batch cannot take the fast path; the reference path gives the result instead."""


@dataclass(frozen=True, slots=True)
class StagedBatch:
    stored: UpsertResult
    rejected: list[Rejection]
    meter_ids: list[int]  # the meters whose readings were stored (their premises follow)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One batch's body, as ``batches_stage`` takes it."""

    text: str
    columns: list[str]  # csv_plain_columns(text)
    produced_at: datetime  # the source time of its rows that carry none
    batch_id: object


def batches_stage(
    *,
    deliveries: list[Delivery],
    rules_for: Callable[[set[str]], dict[str, MeterRules]],
    lock_zones: Callable[[list[int]], dict[int, str]],
    now: datetime,
) -> list[StagedBatch]:
    """Store the readings of one or more CSV bodies the fast way, together (one COPY, one
    rollup), each batch with its own counts and rejections as if stored one after another; or
    raise ``Unsuitable`` having changed nothing (call inside a transaction). Several bodies are
    refused as a group when they hold the same meter and interval, or may collide with stored
    readings: each is then better stored on its own. ``rules_for`` gives meters' rules by
    serial (``meter_rules``); ``lock_zones`` locks meters (in id order) and gives their time
    zones."""
    tables = [_read(delivery) for delivery in deliveries]
    names = [c for c in CSV_COLUMNS if any(c in delivery.columns for delivery in deliveries)]
    column = {
        name: pa.concat_arrays(
            [
                table.column(name).combine_chunks()
                if name in table.column_names
                else pa.array([""] * table.num_rows, pa.string())
                for table in tables
            ]
        )
        for name in names
    }
    rows = _Rows(
        column,
        rules_for(set(pc.unique(column["meter"]).to_pylist()) - {""}),
        sizes=[table.num_rows for table in tables],
        produced_us=[microseconds(delivery.produced_at) for delivery in deliveries],
    )
    zones = lock_zones(sorted(rule.id for rule in rows.rules.values()))
    checker = RowChecker(meters=rows.rules, now=now, produced_at=None)
    good, passed = rows.check(checker, now)
    if len(deliveries) > 1:
        keys = rows.meter_id[good] * _KEY_SHIFT + rows.epoch[good]
        if len(np.unique(keys)) < len(keys):
            raise Unsuitable("two batches of the group hold the same meter and interval")
    rejected = _doubtful(rows, checker, good, passed)
    try:
        with transaction.atomic():  # a savepoint: a collision found on the way undoes it all
            stored, meter_ids = _store(
                rows, good, zones, deliveries[0].batch_id, alone=len(deliveries) == 1
            )
    except IntegrityError as exc:  # another writer stored readings here without the lock
        raise Unsuitable(str(exc)) from exc
    return [
        StagedBatch(stored=stored[i], rejected=rejected[i], meter_ids=meter_ids)
        for i in range(len(deliveries))
    ]


def _read(delivery: Delivery) -> pa.Table:
    try:
        return pacsv.read_csv(
            io.BytesIO(delivery.text.encode()),
            read_options=pacsv.ReadOptions(
                column_names=delivery.columns, skip_rows=1, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(delivery.columns, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:  # a row with too few or too many fields
        raise Unsuitable(str(exc)) from exc


class _Rows:
    """The bodies' columns one after another, and per row: its batch, its line in that body, its
    batch's source time and its meter's rules."""

    def __init__(
        self,
        column: dict[str, pa.Array],
        rules: dict[str, MeterRules],
        *,
        sizes: list[int],
        produced_us: list[int],
    ) -> None:
        self.column = column
        self.rules = rules
        self.count = len(column["meter"])
        self.batch = np.repeat(np.arange(len(sizes)), sizes)
        # The header is line 1, then one line per row (plain CSV).
        self.line = np.arange(self.count) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 2
        self.batch_us = np.array(produced_us, dtype=np.int64)[self.batch]
        serials = column["meter"].dictionary_encode()
        known = [rules.get(serial) for serial in serials.dictionary.to_pylist()]
        by_serial = np.asarray(serials.indices)
        self.meter_id = np.array([r.id if r else -1 for r in known], dtype=np.int64)[by_serial]
        self.interval = np.array([r.interval_minutes * 60 if r else 1 for r in known])[by_serial]
        self.max_value = np.array([r.max_value if r else -1.0 for r in known])[by_serial]
        self.installed_from = np.array(
            [r.installed_from if r and r.installed_from is not None else -1 for r in known],
            dtype=np.int64,
        )[by_serial]

    def check(self, checker: RowChecker, now: datetime):
        """(good, passed): rows plainly good and the first of their meter and interval; rows
        plainly good but not the first."""
        self.epoch = _per_distinct(self.column["ts"], checker.epoch, missing=-1)
        values = self.column["value"]
        plain = np.asarray(pc.match_substring_regex(values, PLAIN_DECIMAL))
        self.value = np.asarray(
            pc.cast(pc.if_else(pa.array(plain), values, pa.scalar("0")), pa.float64())
        )
        ok = (
            (self.meter_id >= 0)
            & (self.epoch >= 0)
            & plain
            & (self.epoch % self.interval == 0)
            & (self.epoch + self.interval <= int(now.timestamp()))
            & (self.epoch >= self.installed_from)
            & (self.value <= self.max_value)
        )
        self.estimated = np.zeros(self.count, dtype=bool)
        if "quality" in self.column:
            quality = self.column["quality"]
            self.estimated = np.asarray(pc.equal(quality, Quality.ESTIMATED))
            ok &= np.asarray(pc.is_in(quality, pa.array(["", *_QUALITIES])))
        self.source_us = np.full(self.count, -1, dtype=np.int64)  # -1: the batch's
        if "source_time" in self.column:
            given = self.column["source_time"]
            us = _per_distinct(given, checker.source_us, missing=-2)
            has = np.asarray(pc.not_equal(given, ""))
            ok &= ~has | ((us >= 0) & (us >= self.epoch * 1_000_000))
            self.source_us = np.where(has, us, -1)
        if self.meter_id.max(initial=0) >= (1 << 27):
            raise Unsuitable("meter ids too large for the row key")
        key = self.meter_id * _KEY_SHIFT + self.epoch
        good = np.zeros(self.count, dtype=bool)
        for number in np.unique(self.batch):  # repeats count within a batch
            candidates = np.flatnonzero(ok & (self.batch == number))
            _, first = np.unique(key[candidates], return_index=True)
            good[candidates[first]] = True
        return good, ok & ~good

    def raw(self, index: int) -> RawRow:
        field = {name: array[index].as_py() for name, array in self.column.items()}
        return RawRow(
            int(self.line[index]),
            field["meter"],
            field["ts"],
            field["value"],
            field.get("quality") or None,
            source_time=field.get("source_time") or None,
        )


def _per_distinct(strings: pa.Array, convert, *, missing: int) -> np.ndarray:
    """``convert`` applied once per distinct string (None becomes ``missing``), per row."""
    encoded = strings.dictionary_encode()
    converted = [convert(text) for text in encoded.dictionary.to_pylist()]
    table = np.array([missing if x is None else x for x in converted], dtype=np.int64)
    return table[np.asarray(encoded.indices)]


def _doubtful(rows: _Rows, checker: RowChecker, good, passed) -> list[list[Rejection]]:
    """Each batch's rejections: the rows that are not plainly good, as Python words them;
    raises ``Unsuitable`` if Python would accept any of them."""
    rejected: list[list[Rejection]] = [[] for _ in range(int(rows.batch.max(initial=0)) + 1)]
    for index in np.flatnonzero(~good):
        raw = rows.raw(int(index))
        reason, message, reading = checker.check(raw)
        if passed[index]:
            if reading is None:
                raise Unsuitable(f"line {raw.line}: the columns and Python disagree")
            reason, message = DUPLICATE_IN_BATCH
        elif reading is not None:
            raise Unsuitable(f"line {raw.line}: Python accepts what the columns did not")
        rejected[rows.batch[index]].append(rejection(raw, reason, message))
    return rejected


# Per meter: whether a stored reading lies in this batch's time range (only then can a row
# collide); per meter and local day asked about: whether the day held readings before this
# batch.
_STORED_SQL = """
SELECT 'range', u.meter_id, NULL::date
FROM unnest(%(meter_ids)s::bigint[], %(firsts)s::bigint[], %(lasts)s::bigint[])
     AS u(meter_id, first, last)
CROSS JOIN LATERAL (
    SELECT 1 FROM energy_reading r WHERE r.meter_id = u.meter_id
       AND r.ts >= to_timestamp(u.first) AND r.ts <= to_timestamp(u.last)
    LIMIT 1
) AS stored
UNION ALL
SELECT 'day', d.meter_id, d.day
FROM (
    SELECT u.meter_id, date '1970-01-01' + u.day AS day, z.zone
    FROM unnest(%(day_meters)s::bigint[], %(days)s::int[]) AS u(meter_id, day)
    JOIN unnest(%(zone_meters)s::bigint[], %(zones)s::text[]) AS z(meter_id, zone)
      ON z.meter_id = u.meter_id
) AS d
CROSS JOIN LATERAL (
    SELECT 1 FROM energy_reading r WHERE r.meter_id = d.meter_id
       AND r.ts >= (d.day::timestamp AT TIME ZONE d.zone)
       AND r.ts < ((d.day + 1)::timestamp AT TIME ZONE d.zone)
    LIMIT 1
) AS stored
"""
# (LATERAL … LIMIT 1: one primary-key probe per meter and per meter-day, whatever the planner
# thinks of the arrays' sizes.)

_ROLLUP_SQL = """
INSERT INTO energy_dailyusage
    (meter_id, date, total, baseload, peak, peak_at, night_total, intervals,
     estimated_intervals, computed_at)
SELECT meter_id, date '1970-01-01' + day, total, baseload, peak, to_timestamp(peak_at),
       night_total, intervals,
       estimated_intervals, now()
FROM unnest(%(meter_ids)s::bigint[], %(days)s::int[], %(totals)s::float8[],
            %(baseloads)s::float8[], %(peaks)s::float8[], %(peak_ats)s::bigint[],
            %(nights)s::float8[], %(intervals)s::int[], %(estimated)s::int[])
     AS d(meter_id, day, total, baseload, peak, peak_at, night_total, intervals,
          estimated_intervals)
ON CONFLICT (meter_id, date) DO UPDATE SET
    total = EXCLUDED.total, baseload = EXCLUDED.baseload, peak = EXCLUDED.peak,
    peak_at = EXCLUDED.peak_at, night_total = EXCLUDED.night_total,
    intervals = EXCLUDED.intervals, estimated_intervals = EXCLUDED.estimated_intervals,
    computed_at = EXCLUDED.computed_at
"""


def _store(rows: _Rows, good, zones: dict[int, str], batch_id, *, alone: bool):
    """Each batch's counts, and the meters whose readings were stored."""
    batches = int(rows.batch.max(initial=0)) + 1
    index = np.flatnonzero(good)
    if not len(index):
        return [UpsertResult(0, 0, 0)] * batches, []
    meter_id, epoch, value = rows.meter_id[index], rows.epoch[index], rows.value[index]
    estimated = rows.estimated[index]
    source_us = np.where(rows.source_us[index] == -1, rows.batch_us[index], rows.source_us[index])
    local = _local_seconds(meter_id, epoch, zones)
    day = local // 86400
    if day.min() < 0:  # a local day before 1970 (an early reading west of Greenwich)
        raise Unsuitable("a local day before 1970")
    order = np.lexsort((epoch, meter_id))
    starts = np.r_[0, np.flatnonzero(np.diff(meter_id[order])) + 1]
    lasts_at = np.r_[starts[1:], len(order)] - 1
    meters = meter_id[order][starts]
    firsts, lasts = epoch[order][starts], epoch[order][lasts_at]
    pair_keys = np.unique(meter_id * _DAY_SHIFT + day)
    day_pairs = list(
        zip((pair_keys // _DAY_SHIFT).tolist(), (pair_keys % _DAY_SHIFT).tolist(), strict=True)
    )
    # When a meter has no stored reading from its first row to its last, the days between its
    # first and last day cannot hold one either: only those two days are asked about.
    edges = sorted(
        set(zip(meters.tolist(), day[order][starts].tolist(), strict=True))
        | set(zip(meters.tolist(), day[order][lasts_at].tolist(), strict=True))
    )
    with connection.cursor() as cursor:
        # Short statements: compiling them (JIT) would cost more than running them.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            _STORED_SQL,
            {
                "meter_ids": meters.tolist(),
                "firsts": firsts.tolist(),
                "lasts": lasts.tolist(),
                "day_meters": [m for m, _ in edges],
                "days": [d for _, d in edges],  # days since 1970-01-01
                "zone_meters": list(zones),
                "zones": list(zones.values()),
            },
        )
        found = cursor.fetchall()
    touched: dict[int, set[date]] = {}
    for m, d in day_pairs:
        touched.setdefault(m, set()).add(day_date(d))
    if any(kind == "range" for kind, _, _ in found):
        if not alone:
            raise Unsuitable("a batch of the group may collide with stored readings")
        # Some rows may collide with stored readings: merged as on the reference path.
        readings = [
            ValidReading(m, e, v, Quality.ESTIMATED if est else Quality.MEASURED, s)
            for m, e, v, est, s in zip(
                meter_id.tolist(),
                epoch.tolist(),
                value.tolist(),
                estimated.tolist(),
                source_us.tolist(),
                strict=True,
            )
        ]
        stored = readings_upsert(readings=readings, batch_id=batch_id, method="copy")
        daily_usage_refresh(dates_by_meter=touched, zones=zones)
        return [stored], sorted(touched)

    _copy_readings(meter_id, epoch, value, estimated, source_us)
    had = {(m, day_number(d)) for kind, m, d in found if kind == "day"}
    _rollup_fresh(meter_id, epoch, value, estimated, local, day, had)
    if had:
        again: dict[int, set[date]] = {}
        for m, d in had:
            again.setdefault(m, set()).add(day_date(d))
        daily_usage_refresh(dates_by_meter=again, zones=zones)
    inserted = np.bincount(rows.batch[index], minlength=batches).tolist()
    return [UpsertResult(n, 0, 0) for n in inserted], sorted(touched)


def _local_seconds(meter_id, epoch, zones: dict[int, str]) -> np.ndarray:
    """Each row's local wall-clock time in its meter's zone, as seconds since 1970-01-01."""
    names = sorted(set(zones.values()))
    if len(names) == 1:
        return epoch + utc_offsets(epoch, names[0])
    zone_index = {name: i for i, name in enumerate(names)}
    meters = np.array(list(zones), dtype=np.int64)
    of_meter = np.array([zone_index[zones[m]] for m in zones], dtype=np.int64)
    zone_of_row = of_meter[np.searchsorted(meters, meter_id, sorter=np.argsort(meters))]
    local = epoch.copy()
    for name, i in zone_index.items():
        rows = zone_of_row == i
        local[rows] = epoch[rows] + utc_offsets(epoch[rows], name)
    return local


def _copy_readings(meter_id, epoch, value, estimated, source_us) -> None:
    """The readings COPYed in binary straight into the readings table."""
    data = binary_copy_data(
        [
            Column("int8", meter_id),
            Column("timestamptz", epoch * 1_000_000),
            Column("float8", value),
            Column("text", estimated.astype(np.int64), labels=_QUALITIES),
            Column("timestamptz", source_us),
        ]
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY energy_reading (meter_id, ts, value, quality, source_time) "
            "FROM STDIN WITH (FORMAT binary)"
        ) as copy,
    ):
        copy.write(data)


def _rollup_fresh(meter_id, epoch, value, estimated, local, day, had) -> None:
    """DailyUsage of the meter-days that held no readings before: made from this batch's rows
    alone, as ``energy.rollups`` would make them from the readings table."""
    if had:
        keep = np.array(
            [(m, d) not in had for m, d in zip(meter_id.tolist(), day.tolist(), strict=True)]
        )
        meter_id, epoch, value, estimated, local, day = (
            a[keep] for a in (meter_id, epoch, value, estimated, local, day)
        )
        if not len(day):
            return
    order = np.lexsort((epoch, day, meter_id))
    meter_id, epoch, value, day = meter_id[order], epoch[order], value[order], day[order]
    estimated, local = estimated[order], local[order]
    new_group = (np.diff(meter_id) != 0) | (np.diff(day) != 0)
    starts = np.r_[0, np.flatnonzero(new_group) + 1]
    ends = np.r_[starts[1:], len(day)]
    peak = np.maximum.reduceat(value, starts)
    group = np.repeat(np.arange(len(starts)), ends - starts)
    # The day's largest interval, the earliest on a tie (rows are in time order per day).
    at_peak = np.where(value == peak[group], np.arange(len(value)), len(value))
    hour = (local % 86400) // 3600
    night = (hour >= NIGHT_FIRST_HOUR) & (hour <= NIGHT_LAST_HOUR)
    with connection.cursor() as cursor:
        cursor.execute(
            _ROLLUP_SQL,
            {
                "meter_ids": meter_id[starts].tolist(),
                "days": day[starts].tolist(),
                "totals": np.add.reduceat(value, starts).tolist(),
                "baseloads": np.minimum.reduceat(value, starts).tolist(),
                "peaks": peak.tolist(),
                "peak_ats": epoch[np.minimum.reduceat(at_peak, starts)].tolist(),
                "nights": np.add.reduceat(np.where(night, value, 0.0), starts).tolist(),
                "intervals": (ends - starts).tolist(),
                "estimated": np.add.reduceat(estimated.astype(np.int64), starts).tolist(),
            },
        )
