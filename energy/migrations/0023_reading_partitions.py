"""Readings become a table partitioned by month on PostgreSQL (docs/readings-storage.md).

``energy_reading`` is range-partitioned on ``ts``: one partition per calendar month in UTC
(``energy_reading_p2026_01``) for every month the stored readings cover and the months ahead
(``READINGS_PARTITIONS_AHEAD_MONTHS``), and ``energy_reading_default`` for any other month. The
key (meter_id, ts) stays. The rows move with one INSERT … SELECT from the old table, renamed
aside and then dropped. Backwards, one plain table gets every row still stored (months archived
by ``readings_archive`` are not brought back). SQLite keeps one plain table, and Django's model
state does not change. Self-contained SQL: the partitions' later code may change, this may not.
"""

from datetime import UTC, date, datetime

from django.conf import settings
from django.db import migrations


def _month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _relkind(cursor, name: str) -> str | None:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [name])
    row = cursor.fetchone()
    return row[0] if row else None


def _primary_key_rename(cursor, table: str, name: str) -> None:
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
        [table],
    )
    (current,) = cursor.fetchone()
    cursor.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{current}" TO {name}')


def _columns(cursor, table: str) -> str:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return ", ".join(name for (name,) in cursor.fetchall())


def partition_by_month(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor, "energy_reading") == "p":
            return
        cursor.execute("ALTER TABLE energy_reading RENAME TO energy_reading_unpartitioned")
        _primary_key_rename(
            cursor, "energy_reading_unpartitioned", "energy_reading_unpartitioned_pkey"
        )
        cursor.execute(
            "CREATE TABLE energy_reading (LIKE energy_reading_unpartitioned INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS, "
            "CONSTRAINT energy_reading_pkey PRIMARY KEY (meter_id, ts)) PARTITION BY RANGE (ts)"
        )
        cursor.execute("CREATE TABLE energy_reading_default PARTITION OF energy_reading DEFAULT")
        cursor.execute(
            "SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC')::date "
            "FROM energy_reading_unpartitioned"
        )
        months = {month for (month,) in cursor.fetchall()}
        this_month = datetime.now(UTC).date().replace(day=1)
        ahead = getattr(settings, "READINGS_PARTITIONS_AHEAD_MONTHS", 3)
        months |= {_month_add(this_month, n) for n in range(ahead + 1)}
        for month in sorted(months):
            following = _month_add(month, 1)
            cursor.execute(
                f"CREATE TABLE energy_reading_p{month.year:04d}_{month.month:02d} "
                "PARTITION OF energy_reading FOR VALUES FROM (%s) TO (%s)",
                [
                    datetime(month.year, month.month, 1, tzinfo=UTC),
                    datetime(following.year, following.month, 1, tzinfo=UTC),
                ],
            )
        columns = _columns(cursor, "energy_reading_unpartitioned")
        cursor.execute(
            f"INSERT INTO energy_reading ({columns}) "
            f"SELECT {columns} FROM energy_reading_unpartitioned"
        )
        cursor.execute("DROP TABLE energy_reading_unpartitioned")


def one_table(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor, "energy_reading") != "p":
            return
        cursor.execute("ALTER TABLE energy_reading RENAME TO energy_reading_partitioned")
        _primary_key_rename(cursor, "energy_reading_partitioned", "energy_reading_partitioned_pkey")
        cursor.execute(
            "CREATE TABLE energy_reading (LIKE energy_reading_partitioned INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS, "
            "CONSTRAINT energy_reading_pkey PRIMARY KEY (meter_id, ts))"
        )
        columns = _columns(cursor, "energy_reading_partitioned")
        cursor.execute(
            f"INSERT INTO energy_reading ({columns}) "
            f"SELECT {columns} FROM energy_reading_partitioned"
        )
        cursor.execute("DROP TABLE energy_reading_partitioned")  # with its partitions


class Migration(migrations.Migration):
    dependencies = [
        ("energy", "0022_ingestbatch_notes"),
    ]

    operations = [migrations.RunPython(partition_by_month, one_table)]
