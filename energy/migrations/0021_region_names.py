"""Regions get a name in Japanese and in English for customers; ``name`` stays the identifier.

Existing rows: the demo's regions get their Japanese names, any other region its ``name`` in
both languages until staff enter them in the admin.
"""

from django.db import migrations, models

# The regions seed_demo creates (energy/demo.py, CLIMATE_NORMALS_C): name -> (ja, en).
KNOWN_NAMES = {
    "Sapporo": ("札幌", "Sapporo"),
    "Asahikawa": ("旭川", "Asahikawa"),
    "Hakodate": ("函館", "Hakodate"),
}


def names_fill(apps, schema_editor):
    Region = apps.get_model("energy", "Region")
    for region in Region.objects.filter(models.Q(name_ja="") | models.Q(name_en="")):
        ja, en = KNOWN_NAMES.get(region.name, (region.name, region.name))
        region.name_ja = region.name_ja or ja
        region.name_en = region.name_en or en
        region.save(update_fields=["name_ja", "name_en"])


class Migration(migrations.Migration):
    dependencies = [
        ("energy", "0020_dailyusage_estimated_intervals"),
    ]

    operations = [
        migrations.AlterField(
            model_name="region",
            name="name",
            field=models.CharField(
                help_text=(
                    "The region's identifier in the API, imports and metrics, e.g. Sapporo. "
                    "Customers read the names below."
                ),
                max_length=100,
                unique=True,
                verbose_name="name",
            ),
        ),
        migrations.AddField(
            model_name="region",
            name="name_ja",
            field=models.CharField(
                default="",
                help_text="As customers read it on Japanese pages, e.g. 札幌.",
                max_length=100,
                verbose_name="name (Japanese)",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="region",
            name="name_en",
            field=models.CharField(
                default="",
                help_text="As customers read it on English pages, e.g. Sapporo.",
                max_length=100,
                verbose_name="name (English)",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(names_fill, migrations.RunPython.noop),
    ]
