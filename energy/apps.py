from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sqlite_functions_add(sender, connection, **kwargs) -> None:
    """Give a new SQLite connection the Python functions our SQL expressions call."""
    if connection.vendor != "sqlite":
        return
    from energy.models import IntervalsPerDay, sqlite_intervals_per_day

    connection.connection.create_function(
        IntervalsPerDay.sqlite_function, 3, sqlite_intervals_per_day, deterministic=True
    )


class EnergyConfig(AppConfig):
    name = "energy"
    verbose_name = _("Energy")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config.celery_app import beat_schedule_register
        from config.observability.metrics import metrics_collector_register
        from energy.access import on_post_migrate
        from energy.partitions import checks  # noqa: F401 - registers the partitions check
        from energy.partitions.metrics import READINGS_PARTITIONS
        from energy.partitions.services import readings_partitions_on_post_migrate
        from energy.savings.templates import on_post_migrate as templates_on_post_migrate
        from energy.schedules import beat_schedule

        beat_schedule_register(beat_schedule())  # the app's periodic jobs (energy/schedules.py)

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="energy-groups")
        post_migrate.connect(
            templates_on_post_migrate, sender=self, dispatch_uid="energy-recommendation-templates"
        )
        # PostgreSQL: the months ahead have their readings partition, and the default partition
        # is emptied into partitions of its rows' months (energy/partitions/services.py).
        post_migrate.connect(
            readings_partitions_on_post_migrate, sender=self, dispatch_uid="energy-partitions"
        )
        # Rows in the default partition, months ahead with a partition (docs/observability.md).
        metrics_collector_register(READINGS_PARTITIONS)
        connection_created.connect(sqlite_functions_add, dispatch_uid="energy-sqlite-functions")
