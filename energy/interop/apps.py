from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "energy.interop"
    label = "interop"
    verbose_name = _("Data exchange")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from energy.ingest.parse import format_register
        from energy.interop.greenbutton.services import feed_readings_count, greenbutton_rows
        from energy.models import BatchFormat

        # Ingest reads Green Button files through interop, which maps their usage points.
        format_register(
            BatchFormat.GREENBUTTON, readings_count=feed_readings_count, rows=greenbutton_rows
        )
