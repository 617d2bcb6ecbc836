"""Green Button usage points in the admin: staff assign each to a meter, then ingest its files
again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.history_admin import StaffHistoryAdmin
from energy.interop.greenbutton.services import usage_points_replay
from energy.interop.models import GreenButtonUsagePoint


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
