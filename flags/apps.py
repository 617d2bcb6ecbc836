from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = _("Feature flags and experiments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from flags.history import on_history_entry_created_connect

        on_history_entry_created_connect()
