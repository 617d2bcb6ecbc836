"""Moving models from one Django app to another without touching their tables.

A model moved between apps keeps its table (its ``db_table`` names the old one), so only
Django's state changes (``SeparateDatabaseAndState``). What does live in the database under the
app's label is the content type: admin history, permissions granted to groups and users, and
generic relations point at it. ``content_types_move`` relabels those rows, so every permission
and every history entry follows the model.
"""

from django.db import migrations


def content_types_move(
    *, old_label: str, new_label: str, models: list[str]
) -> migrations.RunPython:
    """A migration operation that moves the content types of ``models`` (lower-case model
    names) from ``old_label`` to ``new_label``, and back when unapplied."""

    def relabel(apps, from_label: str, to_label: str) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if ContentType.objects.filter(app_label=to_label, model=model).exists():
                continue  # already there: nothing to carry over
            ContentType.objects.filter(app_label=from_label, model=model).update(app_label=to_label)

    def forward(apps, schema_editor):
        relabel(apps, old_label, new_label)

    def backward(apps, schema_editor):
        relabel(apps, new_label, old_label)

    return migrations.RunPython(forward, backward)
