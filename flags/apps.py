from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = _("Feature flags and experiments")
    default_auto_field = "django.db.models.BigAutoField"
