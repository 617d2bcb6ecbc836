"""The schema can be distributed by ``meter_id`` on Citus (docs/scaling.md): every unique
constraint and unique index of the distributed tables includes ``meter_id``, read from the
migrated PostgreSQL database's catalogue, and the document names the same tables as here."""

import re
from pathlib import Path

import pytest
from django.db import connection

from tests.required import needed

ROOT = Path(__file__).resolve().parents[2]
SCALING_DOC = ROOT / "docs" / "scaling.md"
DISTRIBUTION_COLUMN = "meter_id"

# The tables docs/scaling.md distributes by meter_id (create_distributed_table, co-located).
DISTRIBUTED_TABLES = (
    "energy_reading",
    "energy_readingrevision",
    "energy_dailyusage",
    "bills_billingperiod",
    "energy_meterregister",
)
# The ones it replicates to every worker (create_reference_table).
REFERENCE_TABLES = (
    "energy_region",
    "energy_premise",
    "energy_meter",
    "energy_weatherobservation",
    "energy_electricitytariff",
    "energy_electricitytariffversion",
    "energy_timeofuseband",
    "energy_fuelcostadjustment",
    "energy_gastariff",
    "energy_gastariffversion",
    "energy_gasusageband",
    "energy_gasrawmaterialadjustment",
    "energy_emissionfactor",
)
# Tables that break the rule today: a surrogate ``id`` primary key (docs/scaling.md, "What
# would have to change"). Strict: the test fails once the key includes meter_id, to drop the
# entry.
SURROGATE_KEY_TODAY = {
    "energy_readingrevision": "primary key (id)",
    "energy_dailyusage": "primary key (id)",
    "bills_billingperiod": "primary key (id)",
}

# Unique indexes (primary keys and unique constraints create one; on a partitioned table the
# parent's partitioned index) and exclusion constraints, each with the names of its key columns
# (an expression column has none).
_UNIQUE_KEYS_SQL = """
SELECT i.relname, 'index' AS kind,
       array_remove(array_agg(a.attname ORDER BY k.n), NULL)
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
CROSS JOIN LATERAL unnest(x.indkey[0:x.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n)
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE c.oid = to_regclass(%(table)s) AND x.indisunique
GROUP BY i.relname
UNION ALL
SELECT o.conname, 'constraint',
       array(SELECT a.attname FROM unnest(o.conkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = o.conrelid AND a.attnum = k.attnum
             ORDER BY k.n)
FROM pg_constraint o
WHERE o.conrelid = to_regclass(%(table)s) AND o.contype IN ('p', 'u', 'x')
"""


def unique_keys(table: str) -> list[tuple[str, str, list[str]]]:
    """(name, index or constraint, key columns) of every unique key of ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(_UNIQUE_KEYS_SQL, {"table": table})
        return [(name, kind, list(columns)) for name, kind, columns in cursor.fetchall()]


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        needed("PostgreSQL", how="DATABASE_URL=postgres://… (make test)")


def test_every_listed_table_exists(postgresql):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass(t) IS NULL",
            [list(DISTRIBUTED_TABLES + REFERENCE_TABLES)],
        )
        assert cursor.fetchall() == []


def test_the_readings_key_is_found_and_leads_with_the_meter(postgresql):
    # The introspection sees keys at all: the readings' primary key (meter_id, ts), as an
    # index and as a constraint, on a plain or a partitioned table.
    keys = unique_keys("energy_reading")
    assert ("energy_reading_pkey", "index", ["meter_id", "ts"]) in keys
    assert ("energy_reading_pkey", "constraint", ["meter_id", "ts"]) in keys


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(
            table,
            marks=[pytest.mark.xfail(strict=True, reason=SURROGATE_KEY_TODAY[table])]
            if table in SURROGATE_KEY_TODAY
            else [],
        )
        for table in DISTRIBUTED_TABLES
    ],
)
def test_every_unique_key_of_a_distributed_table_includes_meter_id(postgresql, table):
    keys = unique_keys(table)
    assert keys, f"{table} has no primary key"
    without = [
        (name, kind, columns) for name, kind, columns in keys if DISTRIBUTION_COLUMN not in columns
    ]
    assert without == []


def _doc_tables(heading: str) -> list[str]:
    """The table names (first backticked cell of each row) in a section's Markdown table."""
    text = SCALING_DOC.read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_the_document_names_the_same_tables():
    assert _doc_tables("Distributed tables") == list(DISTRIBUTED_TABLES)
    assert _doc_tables("Reference tables") == list(REFERENCE_TABLES)
