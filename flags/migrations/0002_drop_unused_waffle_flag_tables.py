"""Drop the tables waffle's own migrations create for its default Flag model.

``WAFFLE_FLAG_MODEL = "flags.Flag"`` swaps that model out, but waffle's 0001 migration is not
marked swappable, so it still creates ``waffle_flag`` and its many-to-many tables. Nothing
uses them, and their foreign keys to ``auth_group`` and ``auth_user`` make Django's test
database flush (one TRUNCATE of the known tables) fail on PostgreSQL.
"""

from django.db import migrations

WAFFLE_FLAG_TABLES = ["waffle_flag_users", "waffle_flag_groups", "waffle_flag"]


def drop_tables(apps, schema_editor):
    quote = schema_editor.quote_name
    for table in WAFFLE_FLAG_TABLES:
        schema_editor.execute(f"DROP TABLE IF EXISTS {quote(table)}")


class Migration(migrations.Migration):
    dependencies = [
        ("flags", "0001_initial"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [migrations.RunPython(drop_tables, migrations.RunPython.noop, elidable=False)]
