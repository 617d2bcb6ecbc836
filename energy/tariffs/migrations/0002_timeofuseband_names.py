"""Time-of-use bands get a name in Japanese and in English for customers; ``name`` stays the
identifier.

Existing rows (and their history, so a restored version keeps names): the bands seed_demo
created, whose ``name`` held both languages ("ピーク peak"), and the plain English names get
their Japanese and English names; any other band its ``name`` in both languages until staff
enter them in the admin.
"""

from django.db import migrations, models

# name -> (ja, en)
KNOWN_NAMES = {
    "ピーク peak": ("ピーク", "peak"),
    "昼間 day": ("昼間", "day"),
    "夜間 night": ("夜間", "night"),
    "peak": ("ピーク", "peak"),
    "day": ("昼間", "day"),
    "night": ("夜間", "night"),
}


def names_fill(apps, schema_editor):
    for model in ("TimeOfUseBand", "HistoricalTimeOfUseBand"):
        Band = apps.get_model("tariffs", model)
        unnamed = Band.objects.filter(models.Q(name_ja="") | models.Q(name_en=""))
        for name in set(unnamed.values_list("name", flat=True)):
            ja, en = KNOWN_NAMES.get(name, KNOWN_NAMES.get(name.strip().lower(), (name, name)))
            unnamed.filter(name=name, name_ja="").update(name_ja=ja)
            unnamed.filter(name=name, name_en="").update(name_en=en)


def _name_fields(model_name: str) -> list:
    return [
        migrations.AlterField(
            model_name=model_name,
            name="name",
            field=models.CharField(
                help_text=(
                    "The band's identifier in the API and imports, for example peak, day or "
                    "night. Customers read the names below."
                ),
                max_length=50,
                verbose_name="name",
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="name_ja",
            field=models.CharField(
                default="",
                help_text=(
                    "As customers read it on Japanese pages, for example ピーク, 昼間 or 夜間."
                ),
                max_length=50,
                verbose_name="name (Japanese)",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name=model_name,
            name="name_en",
            field=models.CharField(
                default="",
                help_text=(
                    "As customers read it on English pages, for example peak, day or night."
                ),
                max_length=50,
                verbose_name="name (English)",
            ),
            preserve_default=False,
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("tariffs", "0001_initial"),
    ]

    operations = [
        *_name_fields("historicaltimeofuseband"),
        *_name_fields("timeofuseband"),
        migrations.RunPython(names_fill, migrations.RunPython.noop),
    ]
