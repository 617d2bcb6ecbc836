"""Monthly partitions of ``energy_reading`` on PostgreSQL: created ahead, and the default
partition's rows moved into partitions of their own months.

``energy_reading`` is range-partitioned on ``ts``, one partition per calendar month in UTC
(``energy_reading_p2026_01`` holds ``[2026-01-01, 2026-02-01)`` UTC), plus
``energy_reading_default`` for a reading of a month that has no partition (migration 0023).
SQLite keeps one plain table: every function here does nothing there.

Lock order, to stay clear of ingest (which takes ROW EXCLUSIVE on the parent, then on each
partition a row goes to): the parent in SHARE UPDATE EXCLUSIVE (ingest goes on), then the
default partition in ACCESS EXCLUSIVE (a write to it waits for the move), each month in its own
short transaction, never waiting longer than ``LOCK_TIMEOUT`` for a lock.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

PARENT = "energy_reading"
DEFAULT_PARTITION = "energy_reading_default"
PARTITION_NAME = re.compile(r"^energy_reading_p(\d{4})_(\d{2})$")
# pg_advisory_xact_lock key: one partition change at a time (beat, migrate, a back-fill).
ADVISORY_LOCK_KEY = 0x5E_0E_0023
# A partition change waits at most this long for a lock (a long transaction on the table):
# it fails and the next run tries again, rather than queueing every reader behind it.
LOCK_TIMEOUT = "10s"


def month_start(value: date | datetime) -> date:
    """The first day of the (UTC) month of ``value``."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.replace(day=1)


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first``'s to ``last``'s, both included."""
    months, month = [], month_start(first)
    while month <= month_start(last):
        months.append(month)
        month = month_add(month, 1)
    return months


def month_partition_name(month: date) -> str:
    return f"{PARENT}_p{month.year:04d}_{month.month:02d}"


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The partition's range: from the month's first instant in UTC to the next month's."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    following = month_add(month, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=UTC)


def readings_partitioned(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether ``energy_reading`` is a partitioned table here (PostgreSQL, migrated)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def readings_partition_months(*, using: str = DEFAULT_DB_ALIAS) -> list[date]:
    """The months that have a partition, oldest first."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [PARENT],
        )
        names = [name for (name,) in cursor.fetchall()]
    months = []
    for name in names:
        match = PARTITION_NAME.match(name)
        if match:
            months.append(date(int(match[1]), int(match[2]), 1))
    return sorted(months)


def readings_default_months(*, using: str = DEFAULT_DB_ALIAS) -> dict[date, int]:
    """The months of the rows in the default partition, with their counts (a scan of it)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT date_trunc('month', ts AT TIME ZONE 'UTC')::date, count(*) "
            f"FROM {DEFAULT_PARTITION} GROUP BY 1 ORDER BY 1"
        )
        return dict(cursor.fetchall())


def readings_default_rows(*, using: str = DEFAULT_DB_ALIAS, limit: int | None = None) -> int:
    """Rows in the default partition, counted up to ``limit`` (cheap when it is small)."""
    with connections[using].cursor() as cursor:
        if limit is None:
            cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        else:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {DEFAULT_PARTITION} LIMIT %s) AS capped",
                [limit],
            )
        return cursor.fetchone()[0]


def reading_columns(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The parent's column names in order (a partition built with LIKE has the same)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [PARENT],
        )
        return [name for (name,) in cursor.fetchall()]


def default_partition_ensure(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """The default partition exists (it is created by migration 0023; this puts it back)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {PARENT} DEFAULT"
        )


def partition_changes_lock(cursor) -> None:
    """Inside a transaction: wait for any other partition change, then lock the parent and
    the default partition for this one (see the module's lock order)."""
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    cursor.execute(f"LOCK TABLE {PARENT} IN SHARE UPDATE EXCLUSIVE MODE")
    cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE")


def partition_attach(cursor, *, month: date, keyed: bool = False) -> None:
    """Attach a filled table of ``month`` as its partition, first giving it its key (unless
    ``keyed``: a detached partition keeps its own).

    The CHECK constraint, added first, lets PostgreSQL skip scanning the table on ATTACH; it is
    dropped once the partition bound says the same.
    """
    name = month_partition_name(month)
    start, end = month_bounds(month)
    if not keyed:
        cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY (meter_id, ts)")
    cursor.execute(
        f"ALTER TABLE {name} ADD CONSTRAINT {name}_month CHECK (ts >= %s AND ts < %s)",
        [start, end],
    )
    cursor.execute(
        f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
        [start, end],
    )
    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_month")


def readings_partition_create(*, month: date, using: str = DEFAULT_DB_ALIAS) -> int:
    """Create ``month``'s partition, moving that month's rows out of the default partition
    into it, in one transaction; the number of rows moved. Nothing if it exists already."""
    month = month_start(month)
    name = month_partition_name(month)
    start, end = month_bounds(month)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        partition_changes_lock(cursor)
        if month in readings_partition_months(using=using):
            return 0
        columns = ", ".join(reading_columns(using=using))
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE ts >= %s AND ts < %s "
            f"RETURNING {columns}) INSERT INTO {name} ({columns}) SELECT {columns} FROM moved",
            [start, end],
        )
        moved = cursor.rowcount
        partition_attach(cursor, month=month)
    return moved


@dataclass
class PartitionsEnsured:
    created: list[date] = field(default_factory=list)
    rows_moved: int = 0

    def as_dict(self) -> dict:
        return {
            "created": [m.strftime("%Y-%m") for m in self.created],
            "rows_moved": self.rows_moved,
        }


def readings_partitions_ensure(
    *,
    months_ahead: int | None = None,
    first: date | None = None,
    today: date | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[Iterable[date]], Iterator[date]] = iter,
) -> PartitionsEnsured:
    """Create the missing monthly partitions from this month (or ``first``'s month) to
    ``months_ahead`` months ahead (default ``READINGS_PARTITIONS_AHEAD_MONTHS``), and one for
    each month that has rows in the default partition, moving those rows into it.

    Only months with data and the months ahead get a partition. Does nothing on SQLite or before
    migration 0023.
    """
    result = PartitionsEnsured()
    if not readings_partitioned(using=using):
        return result
    if months_ahead is None:
        months_ahead = settings.READINGS_PARTITIONS_AHEAD_MONTHS
    default_partition_ensure(using=using)
    this_month = month_start(today or timezone.now())
    wanted = set(months_between(first or this_month, month_add(this_month, months_ahead)))
    wanted |= set(readings_default_months(using=using))
    missing = sorted(wanted - set(readings_partition_months(using=using)))
    for month in progress(missing):
        result.rows_moved += readings_partition_create(month=month, using=using)
        result.created.append(month)
    return result


def readings_partitions_on_post_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After ``migrate``: the months ahead exist and the default partition is emptied."""
    readings_partitions_ensure(using=using)
