from django.apps import AppConfig


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
