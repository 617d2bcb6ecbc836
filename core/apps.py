from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What several apps share: the staff change history with restore (``history``,
    ``history_admin``) and its templates, chart helpers (``charts``), model moves (``moves``).
    No models of its own."""

    name = "core"
    verbose_name = "Shoene core"

    def ready(self) -> None:
        # One admin save is one history entry, whatever many-to-many updates it made.
        from core.history import on_history_entry_created_connect

        on_history_entry_created_connect()

        # Staff work in Shoene's console, not in "Django administration".
        from django.contrib import admin

        admin.site.site_header = _("Shoene staff console")
        admin.site.site_title = _("Shoene staff console")
        admin.site.index_title = _("Flags, experiments, campaigns and data")
