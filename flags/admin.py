from django.contrib import admin
from waffle.admin import FlagAdmin as WaffleFlagAdmin

from flags.models import Flag


@admin.register(Flag)
class FlagAdmin(WaffleFlagAdmin):
    pass


# Experiments, their results and the planner (flags/admin_experiments.py).
from flags import admin_experiments  # noqa: E402, F401
