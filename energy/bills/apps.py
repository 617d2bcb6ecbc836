from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillsConfig(AppConfig):
    name = "energy.bills"
    label = "bills"
    verbose_name = _("Bills")
    default_auto_field = "django.db.models.BigAutoField"
