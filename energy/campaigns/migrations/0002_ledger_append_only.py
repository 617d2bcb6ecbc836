"""The points ledger is append-only in the database too (PostgreSQL): a trigger refuses every
UPDATE and DELETE of a line, whatever the client (a script, psql, a bug). TRUNCATE, which only
tests use to empty a database, is a statement of its own and not refused.

SQLite (the embedded default for development) keeps the model's guard only: Django empties its
test databases with DELETE there."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION energy_pointsentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the points ledger is append-only: % of a line is refused; append a correction', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER energy_pointsentry_append_only
    BEFORE UPDATE OR DELETE ON energy_pointsentry
    FOR EACH ROW EXECUTE FUNCTION energy_pointsentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS energy_pointsentry_append_only ON energy_pointsentry;
DROP FUNCTION IF EXISTS energy_pointsentry_append_only();
"""


def trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(trigger_create, trigger_drop)]
