from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TariffsConfig(AppConfig):
    name = "energy.tariffs"
    label = "tariffs"
    verbose_name = _("Tariffs")
    default_auto_field = "django.db.models.BigAutoField"
