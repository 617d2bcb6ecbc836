"""Tariffs, their versions and emission factors in the admin: business staff edit them (with
history), and a version's bands are checked as one set."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from core.history_admin import StaffHistoryAdmin
from energy.tariffs.models import (
    ElectricityTariff,
    ElectricityTariffVersion,
    EmissionFactor,
    FuelCostAdjustment,
    GasRawMaterialAdjustment,
    GasTariff,
    GasTariffVersion,
    GasUsageBand,
    TimeOfUseBand,
    band_hours,
)


def _kept_forms(formset):
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
    ]


class TimeOfUseBandFormSet(BaseInlineFormSet):
    """The bands of one version must not share an hour."""

    def clean(self) -> None:
        super().clean()
        taken: dict[int, str] = {}
        for form in _kept_forms(self):
            data = form.cleaned_data
            if data.get("start_hour") is None or data.get("end_hour") is None:
                continue
            for hour in band_hours(data["start_hour"], data["end_hour"] % 24):
                if hour in taken:
                    raise ValidationError(
                        _("Bands %(first)s and %(second)s both cover %(hour)02d:00."),
                        params={"first": taken[hour], "second": data["name"], "hour": hour},
                    )
                taken[hour] = data["name"]


class TimeOfUseBandInline(admin.TabularInline):
    model = TimeOfUseBand
    formset = TimeOfUseBandFormSet
    extra = 0


class GasUsageBandFormSet(BaseInlineFormSet):
    """Distinct upper limits and at most one open-ended table per version."""

    def clean(self) -> None:
        super().clean()
        limits = [form.cleaned_data.get("up_to_m3") for form in _kept_forms(self)]
        if limits.count(None) > 1:
            raise ValidationError(_("Only the last table may have no upper limit."))
        bounded = [limit for limit in limits if limit is not None]
        if len(set(bounded)) != len(bounded):
            raise ValidationError(_("Two tables have the same upper limit."))


class GasUsageBandInline(admin.TabularInline):
    model = GasUsageBand
    formset = GasUsageBandFormSet
    extra = 0


class FuelCostAdjustmentInline(admin.TabularInline):
    model = FuelCostAdjustment
    extra = 1


class GasRawMaterialAdjustmentInline(admin.TabularInline):
    model = GasRawMaterialAdjustment
    extra = 1


@admin.register(ElectricityTariff)
class ElectricityTariffAdmin(StaffHistoryAdmin):
    list_display = ["name", "utility"]
    list_filter = ["utility"]
    search_fields = ["name", "utility"]
    inlines = [FuelCostAdjustmentInline]


@admin.register(ElectricityTariffVersion)
class ElectricityTariffVersionAdmin(StaffHistoryAdmin):
    list_display = [
        "tariff",
        "valid_from",
        "valid_until",
        "basic_charge_jpy",
        "tier1_price_jpy_per_kwh",
        "tier2_price_jpy_per_kwh",
        "tier3_price_jpy_per_kwh",
        "renewable_levy_jpy_per_kwh",
    ]
    list_filter = ["tariff", "valid_from"]
    search_fields = ["tariff__name"]
    list_select_related = ["tariff"]
    inlines = [TimeOfUseBandInline]


class VersionPartAdmin(StaffHistoryAdmin):
    """Bands are added and edited on their tariff version's page, where they are checked
    against each other; their own pages are read-only, for their history and restore."""

    def has_add_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        nothing_to_save = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(
            request, object_id, form_url, {**nothing_to_save, **(extra_context or {})}
        )


@admin.register(TimeOfUseBand)
class TimeOfUseBandAdmin(VersionPartAdmin):
    list_display = [
        "name",
        "name_ja",
        "name_en",
        "version",
        "start_hour",
        "end_hour",
        "price_jpy_per_kwh",
    ]
    list_filter = ["version__tariff"]
    search_fields = ["name", "name_ja", "name_en", "version__tariff__name"]
    list_select_related = ["version__tariff"]


@admin.register(FuelCostAdjustment)
class FuelCostAdjustmentAdmin(StaffHistoryAdmin):
    list_display = ["tariff", "month", "jpy_per_kwh"]
    list_filter = ["tariff"]
    search_fields = ["tariff__name"]
    date_hierarchy = "month"
    list_select_related = ["tariff"]


@admin.register(GasTariff)
class GasTariffAdmin(StaffHistoryAdmin):
    list_display = ["name", "utility", "has_raw_material_adjustment"]
    list_filter = ["has_raw_material_adjustment"]
    search_fields = ["name", "utility"]
    inlines = [GasRawMaterialAdjustmentInline]


@admin.register(GasTariffVersion)
class GasTariffVersionAdmin(StaffHistoryAdmin):
    list_display = ["tariff", "valid_from", "valid_until"]
    list_filter = ["tariff", "valid_from"]
    search_fields = ["tariff__name"]
    list_select_related = ["tariff"]
    inlines = [GasUsageBandInline]


@admin.register(GasUsageBand)
class GasUsageBandAdmin(VersionPartAdmin):
    list_display = ["label", "version", "up_to_m3", "basic_charge_jpy", "unit_price_jpy_per_m3"]
    list_filter = ["version__tariff"]
    search_fields = ["label", "version__tariff__name"]
    list_select_related = ["version__tariff"]


@admin.register(GasRawMaterialAdjustment)
class GasRawMaterialAdjustmentAdmin(StaffHistoryAdmin):
    list_display = ["tariff", "month", "jpy_per_m3"]
    list_filter = ["tariff"]
    search_fields = ["tariff__name"]
    date_hierarchy = "month"
    list_select_related = ["tariff"]


@admin.register(EmissionFactor)
class EmissionFactorAdmin(StaffHistoryAdmin):
    list_display = ["commodity", "kg_co2_per_unit", "valid_from", "valid_until", "source"]
    list_filter = ["commodity", "valid_from"]
    search_fields = ["source"]


# Campaigns, the points ledger and notifications (energy/campaigns/admin.py).
