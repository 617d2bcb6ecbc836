"""Billing periods in the admin: the data team reads them and deletes a wrong one before its
correction is imported (imports go through the API or ``manage.py import_bills``, which check
that periods never overlap)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from energy.bills.models import BillingPeriod


@admin.register(BillingPeriod)
class BillingPeriodAdmin(admin.ModelAdmin):
    list_display = ("meter", "start", "end", "days", "usage", "cost_jpy", "estimated", "source")
    list_filter = ("source", "estimated")
    search_fields = ("meter__serial",)
    date_hierarchy = "start"
    list_select_related = ("meter",)
    readonly_fields = [field.name for field in BillingPeriod._meta.fields]

    @admin.display(description=_("days"))
    def days(self, period: BillingPeriod) -> int:
        return period.days

    def has_add_permission(self, request) -> bool:
        return False  # overlaps are checked by the import, not by a form

    def has_change_permission(self, request, obj=None) -> bool:
        return False
