from django.contrib import admin
from waffle.admin import FlagAdmin as WaffleFlagAdmin

from flags.models import Flag


@admin.register(Flag)
class FlagAdmin(WaffleFlagAdmin):
    pass
