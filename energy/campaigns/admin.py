"""Campaigns in the admin: staff design year-on-year campaigns and demand-response events, run
them, read their results, and read (never edit) the points ledger."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.errors import ShoeneError
from core.history_admin import StaffHistoryAdmin, confirmed_action
from energy.campaigns import results
from energy.campaigns.eligibility import participants
from energy.campaigns.models import (
    CampaignStatus,
    DemandResponseEvent,
    EmailDelivery,
    NotificationPreference,
    PointsEntry,
    YearOnYearCampaign,
)
from energy.campaigns.services import campaign_announce, campaign_finish

ELIGIBILITY = (
    _("Who takes part"),
    {
        "description": _("Empty fields admit everyone; every field given must hold."),
        "fields": ("commodity", "regions", "groups", "experiment", "experiment_variant"),
    },
)
WORDING = (
    _("What customers read"),
    {"fields": ("title_ja", "title_en", "description_ja", "description_en")},
)


def _customers(count: int) -> str:
    return ngettext("%(count)d customer takes part", "%(count)d customers take part", count) % {
        "count": count
    }


def _participant_count(model_admin, campaign) -> str:
    return _customers(len({p.user_id for p in participants(campaign=campaign)}))


def _announce_consequence(model_admin, event) -> str:
    if event.status != CampaignStatus.DRAFT:
        return _("not a draft: nothing happens")
    from energy.campaigns.notifications import event_announcement_recipient_count

    emails = event_announcement_recipient_count(event=event)
    return ngettext(
        "%(count)d customer will get an email", "%(count)d customers will get an email", emails
    ) % {"count": emails}


class CampaignAdminBase(StaffHistoryAdmin):
    # Plain checkboxes, as for experiments: the few regions and groups fit in a list, and
    # Django's two-box filter widget carries ARIA attributes its elements may not have.
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    # Once announced, what customers were promised is fixed: who takes part and the rule.
    locked_after_draft: tuple[str, ...] = (
        "commodity",
        "regions",
        "groups",
        "experiment",
        "experiment_variant",
    )

    def get_readonly_fields(self, request, obj=None):
        # The status changes only through the actions (announce, finish, cancel), which keep
        # the dates, emails and awards consistent.
        fields = [*self.readonly_fields, "status"]
        if obj is not None and obj.status != CampaignStatus.DRAFT:
            fields += list(self.locked_after_draft)
        return fields

    list_filter = ("status", "commodity")
    search_fields = ("title_ja", "title_en", "description_ja", "description_en")
    readonly_fields = ("created_at", "updated_at", "results_link")
    results_kind = ""
    service_argument = "campaign"  # the keyword the state-change services take it by

    @admin.display(description=_("results"))
    def results_link(self, obj) -> str:
        if not obj or not obj.pk:
            return "—"
        url = reverse(f"admin:{self.opts.app_label}_{self.results_kind}_results", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Results"))

    def get_urls(self):
        own = [
            path(
                "<int:pk>/results/",
                self.admin_site.admin_view(self.results_view),
                name=f"{self.opts.app_label}_{self.results_kind}_results",
            )
        ]
        return own + super().get_urls()

    def results_view(self, request, pk: int):
        campaign = get_object_or_404(self.model, pk=pk)
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "campaign": campaign,
            "summary": results.campaign_results(campaign=campaign),
            "title": _("Results: %(title)s") % {"title": campaign},
        }
        return TemplateResponse(request, "admin/campaigns/campaign_results.html", context)

    def _each(self, request, queryset, service):
        """Call the state-change ``service`` per campaign; a refusal is a message, the others
        go on."""
        for campaign in queryset:
            try:
                service(**{self.service_argument: campaign})
            except ShoeneError as error:
                self.message_user(request, f"{campaign}: {error.message}", messages.ERROR)
            else:
                yield campaign


@admin.register(YearOnYearCampaign)
class YearOnYearCampaignAdmin(CampaignAdminBase):
    results_kind = "yearonyearcampaign"
    list_display = (
        "__str__",
        "status",
        "period_start",
        "period_end",
        "min_saving_percent",
        "points_per_month",
        "cap_points",
    )
    fieldsets = (
        (None, {"fields": ("status", "results_link")}),
        WORDING,
        (
            _("The rule"),
            {
                "fields": (
                    "period_start",
                    "period_end",
                    "min_saving_percent",
                    "weather_normalised",
                    "points_per_month",
                    "cap_points",
                )
            },
        ),
        ELIGIBILITY,
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )
    actions = ["announce", "finish", "compute_awards"]
    locked_after_draft = (
        *CampaignAdminBase.locked_after_draft,
        "period_start",
        "period_end",
        "min_saving_percent",
        "weather_normalised",
        "points_per_month",
        "cap_points",
    )

    @admin.action(description=_("Announce (start) the selected campaigns"), permissions=["change"])
    @confirmed_action(_participant_count)
    def announce(self, request, queryset) -> None:
        list(self._each(request, queryset, campaign_announce))

    @admin.action(description=_("Finish the selected campaigns"), permissions=["change"])
    @confirmed_action(_participant_count)
    def finish(self, request, queryset) -> None:
        list(self._each(request, queryset, campaign_finish))

    @admin.action(description=_("Compute awards now"), permissions=["change"])
    def compute_awards(self, request, queryset) -> None:
        from energy.campaigns.year_on_year import yoy_awards_compute

        for campaign in queryset:
            summary = yoy_awards_compute(campaign=campaign)
            self.message_user(
                request,
                _("%(campaign)s: %(qualifying)d qualifying months, %(points)d points.")
                % {"campaign": campaign, **summary},
            )


@admin.register(DemandResponseEvent)
class DemandResponseEventAdmin(CampaignAdminBase):
    results_kind = "demandresponseevent"
    service_argument = "event"
    list_display = (
        "__str__",
        "status",
        "event_date",
        "start_hour",
        "end_hour",
        "points_per_kwh",
        "baseline_method",
        "announced_at",
        "cancelled_at",
    )
    readonly_fields = (*CampaignAdminBase.readonly_fields, "announced_at", "cancelled_at")
    fieldsets = (
        (None, {"fields": ("status", "results_link", "announced_at", "cancelled_at")}),
        WORDING,
        (
            _("The event"),
            {
                "fields": (
                    "event_date",
                    "start_hour",
                    "end_hour",
                    "points_per_kwh",
                    "baseline_method",
                )
            },
        ),
        ELIGIBILITY,
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )
    actions = ["announce", "cancel", "compute_awards"]
    locked_after_draft = (
        *CampaignAdminBase.locked_after_draft,
        "event_date",
        "start_hour",
        "end_hour",
        "points_per_kwh",
        "baseline_method",
    )

    @admin.action(
        description=_("Announce the selected events (emails the customers once)"),
        permissions=["change"],
    )
    @confirmed_action(_announce_consequence)
    def announce(self, request, queryset) -> None:
        from energy.campaigns.notifications import event_announce

        for event in self._each(request, queryset, event_announce):
            self.message_user(
                request, _("%(event)s: announced; the emails are on their way.") % {"event": event}
            )

    @admin.action(description=_("Cancel the selected events"), permissions=["change"])
    @confirmed_action(_participant_count)
    def cancel(self, request, queryset) -> None:
        from energy.campaigns.notifications import event_cancel

        list(self._each(request, queryset, event_cancel))

    @admin.action(description=_("Compute awards now"), permissions=["change"])
    def compute_awards(self, request, queryset) -> None:
        from energy.campaigns.demand_response import event_awards_compute

        for event in queryset:
            event_awards_compute(event=event)
        self.message_user(request, _("Awards computed."), messages.SUCCESS)


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """The ledger is read-only: awards and corrections are added by the award jobs only."""

    list_display = ("created_at", "user", "premise", "award_key", "kind", "points")
    list_filter = ("kind", "yoy_campaign", "event")
    search_fields = ("award_key", "user__username")
    list_select_related = ("user", "premise")
    readonly_fields = [field.name for field in PointsEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        try:
            queryset = response.context_data["cl"].queryset
        except (AttributeError, KeyError):
            return response
        totals = queryset.aggregate(points=Sum("points"), customers=Count("user", distinct=True))
        response.context_data["ledger_totals"] = totals
        return response


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "event_announcements", "high_usage_alerts", "weekly_summary")
    list_filter = ("event_announcements", "high_usage_alerts", "weekly_summary", "language")
    search_fields = ("user__username",)


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "status", "attempts", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("key", "user__username")
    readonly_fields = [field.name for field in EmailDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
