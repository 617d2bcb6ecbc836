from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        # The app registers its own gauge and periodic jobs; infrastructure imports no app.
        from config.celery_app import beat_schedule_register
        from config.observability.metrics import metrics_collector_register
        from dashboards.metrics import INGEST_LAG
        from dashboards.schedules import beat_schedule

        metrics_collector_register(INGEST_LAG)
        beat_schedule_register(beat_schedule())

        # The staff console's home leads with today's overview, experiments and expiring flags.
        from django.contrib import admin

        admin.site.index_template = "admin/staff_home.html"
