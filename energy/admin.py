from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from energy.ingest.services import usage_points_replay
from energy.models import (
    DailyUsage,
    GreenButtonUsagePoint,
    IngestBatch,
    Meter,
    Premise,
    Region,
    WeatherObservation,
)
from flags.history_admin import StaffHistoryAdmin


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]


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
        "rejected_count",
        "received_at",
    ]
    list_filter = ["status", "source", "format"]
    search_fields = ["id", "idempotency_key", "client__username"]
    date_hierarchy = "received_at"
    list_select_related = ["client"]
    exclude = ["payload"]
    readonly_fields = [f.name for f in IngestBatch._meta.fields if f.name != "payload"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("payload")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class UsagePointAssignedFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("no", _("Not assigned yet")), ("yes", _("Assigned to a meter"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(meter__isnull=self.value() == "no")
        return queryset


@admin.register(GreenButtonUsagePoint)
class GreenButtonUsagePointAdmin(StaffHistoryAdmin):
    """Which meter each Green Button usage point feeds. Unassigned ones wait here for staff."""

    list_display = ["identifier", "title", "commodity", "meter", "first_seen_at"]
    list_filter = [UsagePointAssignedFilter, "commodity"]
    search_fields = ["identifier", "title", "meter__serial"]
    list_select_related = ["meter"]
    raw_id_fields = ["meter"]
    readonly_fields = ["first_seen_at", "batches"]
    actions = ["ingest_held_readings"]

    @admin.action(
        description=_("Ingest the held readings again (files of the selected usage points)"),
        permissions=["change"],
    )
    def ingest_held_readings(self, request, queryset):
        replay = usage_points_replay(usage_points=queryset, client=request.user)
        self.message_user(
            request,
            _("%(files)d file(s) ingested again: %(accepted)d reading(s) stored.")
            % {"files": replay.files, "accepted": replay.accepted},
            messages.SUCCESS,
        )
        if replay.skipped:
            self.message_user(
                request,
                _("%(count)d usage point(s) have no meter yet and were skipped.")
                % {"count": replay.skipped},
                messages.WARNING,
            )
