from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from energy.models import DailyUsage, IngestBatch, Meter, Premise, Region, WeatherObservation


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "name_ja", "name_en", "time_zone"]
    search_fields = ["name", "name_ja", "name_en"]


class MeterInline(admin.TabularInline):
    model = Meter
    extra = 0
    fields = ["serial", "commodity", "unit", "interval_minutes", "installed_on"]


@admin.register(Premise)
class PremiseAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "owner",
        "region",
        "dwelling_type",
        "floor_area_m2",
        "household_size",
        "heating_fuel",
    ]
    list_filter = ["region", "dwelling_type", "heating_fuel", "electricity_tariff", "gas_tariff"]
    search_fields = ["name", "owner__username", "owner__email", "meters__serial"]
    list_select_related = ["owner", "region"]
    raw_id_fields = ["owner"]
    inlines = [MeterInline]


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ["serial", "premise", "commodity", "unit", "interval_minutes"]
    list_filter = ["commodity", "interval_minutes", "premise__region"]
    search_fields = ["serial"]
    list_select_related = ["premise"]
    raw_id_fields = ["premise"]


@admin.register(WeatherObservation)
class WeatherObservationAdmin(admin.ModelAdmin):
    list_display = ["region", "date", "temperature_mean_c"]
    list_filter = ["region"]
    date_hierarchy = "date"


@admin.register(DailyUsage)
class DailyUsageAdmin(admin.ModelAdmin):
    """Computed from readings: read-only here."""

    list_display = ["meter", "date", "total", "baseload", "peak", "night_total", "intervals"]
    list_filter = ["meter__commodity"]
    search_fields = ["meter__serial"]
    date_hierarchy = "date"
    list_select_related = ["meter"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IngestBatch)
class IngestBatchAdmin(admin.ModelAdmin):
    """Deliveries of readings with their outcome. Read-only: the raw payload is evidence."""

    list_display = [
        "id",
        "client",
        "source",
        "format",
        "status",
        "row_count",
        "accepted_count",
        "duplicate_count",
        "corrected_count",
        "stale_count",
        "rejected_count",
        "received_at",
    ]
    list_filter = ["status", "source", "format"]
    search_fields = ["id", "idempotency_key", "client__username"]
    date_hierarchy = "received_at"
    list_select_related = ["client"]
    exclude = ["payload", "notes"]
    # Every field as stored, but the notes as a list, after the rejections.
    readonly_fields = [
        name
        for field in IngestBatch._meta.fields
        if field.name != "payload"
        for name in (["notes_list"] if field.name == "notes" else [field.name])
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("payload")

    @admin.display(description=_("notes"))
    def notes_list(self, batch: IngestBatch) -> str:
        """What the reader inferred rather than read, one item each (empty: nothing)."""
        if not batch.notes:
            return "-"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((n,) for n in batch.notes))
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
