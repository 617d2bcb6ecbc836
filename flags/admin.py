from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from waffle.admin import FlagAdmin as WaffleFlagAdmin
from waffle.admin import SwitchAdmin as WaffleSwitchAdmin
from waffle.admin import (
    delete_individually,
    disable_for_all,
    disable_switches,
    enable_for_all,
    enable_switches,
)
from waffle.models import Switch

from core.history import history_m2m_ids
from core.history_admin import StaffHistoryAdmin, confirmed_action
from flags.lifecycle import STALE_AFTER_DAYS, flag_in_code, flag_is_stale
from flags.models import Flag, ScheduledFlagChange
from flags.registry import registry
from flags.scheduling import scheduled_change_cancel, scheduled_changes_apply


def flag_state(flag: Flag) -> str:
    """How a flag is set now, in the words of the admin's fields."""
    if flag.everyone is True:
        everyone = _("on for everyone")
    elif flag.everyone is False:
        everyone = _("off for everyone")
    else:
        everyone = _("not forced")
    percent = f"{flag.percent} %" if flag.percent is not None else "-"
    groups = ", ".join(group.name for group in flag.groups.all()) or "-"
    return _("%(everyone)s; percentage: %(percent)s; groups: %(groups)s") % {
        "everyone": everyone,
        "percent": percent,
        "groups": groups,
    }


def who_gets_it(flag: Flag, *, groups: list[str], users: int) -> str:
    """The rules that decide who gets the flag, in one line: forced on or off, else each rule
    that lets someone in (percentage, groups, users, staff, …), else "nobody"."""
    if flag.everyone is True:
        return _("everyone")
    if flag.everyone is False:
        return _("nobody (off for everyone)")
    rules = []
    if flag.percent:
        rules.append(_("%(percent)s %% of customers") % {"percent": f"{float(flag.percent):g}"})
    if groups:
        rules.append(_("groups: %(names)s") % {"names": ", ".join(sorted(groups))})
    if users:
        rules.append(ngettext("%(count)d user", "%(count)d users", users) % {"count": users})
    for field, label in (
        ("superusers", _("superusers")),
        ("staff", _("staff")),
        ("authenticated", _("everyone signed in")),
    ):
        if getattr(flag, field):
            rules.append(str(label))
    if flag.languages:
        rules.append(_("languages: %(codes)s") % {"codes": flag.languages})
    return "; ".join(str(rule) for rule in rules) or _("nobody")


def _who_then(after: str):
    """A flag action's consequence: who gets the flag now, and after the action."""

    def consequence(model_admin, flag: Flag) -> str:
        return _("who gets it: %(now)s → %(after)s") % {
            "now": model_admin.state(flag),
            "after": after,
        }

    return consequence


def _deleted(model_admin, obj) -> str:
    return _("deleted; the code then reads its default")


def _deleted_unless_in_code(model_admin, flag: Flag) -> str:
    if flag_in_code(flag.name):
        return _("kept: the code still reads it")
    return _("deleted")


def _switch_then(on: bool):
    def consequence(model_admin, switch: Switch) -> str:
        now = _("on") if switch.active else _("off")
        return _("now %(now)s → %(after)s") % {"now": now, "after": _("on") if on else _("off")}

    return consequence


class InCodeFilter(admin.SimpleListFilter):
    title = _("declared in code")
    parameter_name = "in_code"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("Not in code"))]

    def queryset(self, request, queryset):
        names = list(registry())
        if self.value() == "yes":
            return queryset.filter(name__in=names)
        if self.value() == "no":
            return queryset.exclude(name__in=names)
        return queryset


@admin.register(Flag)
class FlagAdmin(StaffHistoryAdmin, WaffleFlagAdmin):
    search_fields = ["name", "note"]
    # Who gets the flag in one column (waffle's seven), so owner and expiry fit a 1280 px screen.
    list_display = ["name", "state", "owner", "expires", "in_code", "stale"]
    list_filter = [InCodeFilter, *WaffleFlagAdmin.list_filter]
    # Waffle's actions, each asking first (what changes, and a reason for the history).
    actions = [
        confirmed_action(_who_then(_("everyone")))(enable_for_all),
        confirmed_action(_who_then(_("nobody (off for everyone)")))(disable_for_all),
        confirmed_action(_deleted)(delete_individually),
        "delete_not_in_code",
    ]

    @admin.display(description=_("who gets it"))
    def state(self, obj: Flag) -> str:
        return who_gets_it(
            obj, groups=[group.name for group in obj.groups.all()], users=len(obj.users.all())
        )

    def restore_consequences(self, request, obj: Flag, record) -> list[str]:
        before = self.state(obj)
        after = who_gets_it(
            record.instance,
            groups=list(
                Group.objects.filter(
                    pk__in=history_m2m_ids(record=record, field_name="groups")
                ).values_list("name", flat=True)
            ),
            users=len(history_m2m_ids(record=record, field_name="users")),
        )
        if before == after:
            return [_("Who gets the flag stays: %(rule)s.") % {"rule": before}]
        change = {"before": before, "after": after}
        return [_("Who gets the flag: %(before)s → %(after)s.") % change]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups", "users")

    @admin.display(description=_("in code"), boolean=True)
    def in_code(self, obj: Flag) -> bool:
        return flag_in_code(obj.name)

    @admin.display(description=_("stale"))
    def stale(self, obj: Flag) -> str:
        if not flag_is_stale(obj):
            return ""
        return _("stale: fully on or off and unchanged for %(days)d days") % {
            "days": STALE_AFTER_DAYS
        }

    @admin.display(description=_("owner"))
    def owner(self, obj: Flag) -> str:
        spec = registry().get(obj.name)
        return spec.owner if spec else "—"

    @admin.display(description=_("expires"))
    def expires(self, obj: Flag):
        spec = registry().get(obj.name)
        return spec.expires if spec else "—"

    @admin.action(
        description=_("Delete the selected flags that are not in code"), permissions=["delete"]
    )
    @confirmed_action(_deleted_unless_in_code)
    def delete_not_in_code(self, request, queryset) -> None:
        orphans = [flag for flag in queryset if not flag_in_code(flag.name)]
        for flag in orphans:
            flag.delete()
        kept = queryset.count()
        self.message_user(
            request,
            _("%(deleted)d deleted; %(kept)d kept because the code still reads them.")
            % {"deleted": len(orphans), "kept": kept},
            messages.SUCCESS,
        )

    # Set by the model on save; the History page says who changed what and when.
    readonly_fields = ["created", "modified", "pending_scheduled_changes"]

    @admin.display(description=_("scheduled changes"))
    def pending_scheduled_changes(self, obj: Flag) -> str:
        if obj is None or obj.pk is None:
            return "-"
        pending = obj.scheduled_changes.filter(status=ScheduledFlagChange.Status.PENDING).count()
        url = reverse("admin:flags_scheduledflagchange_changelist")
        return format_html(
            '<a href="{}?flag__id__exact={}">{}</a>',
            url,
            obj.pk,
            ngettext("%(count)d pending", "%(count)d pending", pending) % {"count": pending},
        )


admin.site.unregister(Switch)


@admin.register(Switch)
class SwitchAdmin(StaffHistoryAdmin, WaffleSwitchAdmin):
    search_fields = ["name", "note"]
    actions = [
        confirmed_action(_switch_then(True))(enable_switches),
        confirmed_action(_switch_then(False))(disable_switches),
        confirmed_action(_deleted)(delete_individually),
    ]
    readonly_fields = ["created", "modified"]


class ScheduledFlagChangeForm(forms.ModelForm):
    class Meta:
        model = ScheduledFlagChange
        fields = ["flag", "apply_at", "everyone", "percent", "groups", "replace_groups", "note"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # Lock the row until this save commits: the beat job must not make the change
            # while it is being edited, nor an edit undo a change just made.
            still_pending = (
                ScheduledFlagChange.objects.select_for_update()
                .filter(pk=self.instance.pk, status=ScheduledFlagChange.Status.PENDING)
                .exists()
            )
            if not still_pending:
                raise forms.ValidationError(
                    _("This change has been made or cancelled meanwhile and cannot be edited.")
                )
        changes_something = (
            cleaned.get("everyone", ScheduledFlagChange.Everyone.KEEP)
            != ScheduledFlagChange.Everyone.KEEP
            or cleaned.get("percent") is not None
            or cleaned.get("groups")
            or cleaned.get("replace_groups")
        )
        if not changes_something:
            raise forms.ValidationError(
                _("Choose at least one thing to change: everyone, the percentage or the groups.")
            )
        return cleaned


@admin.register(ScheduledFlagChange)
class ScheduledFlagChangeAdmin(admin.ModelAdmin):
    form = ScheduledFlagChangeForm
    list_display = [
        "flag",
        "apply_at",
        "change_summary",
        "status",
        "created_by",
        "applied_at",
    ]
    list_filter = ["status", "everyone", "apply_at", "flag"]
    search_fields = ["flag__name", "note", "created_by__username"]
    date_hierarchy = "apply_at"
    list_select_related = ["flag", "created_by"]
    filter_horizontal = ["groups"]
    readonly_fields = [
        "current_flag_state",
        "status",
        "created_by",
        "created_at",
        "applied_at",
        "error",
    ]
    fieldsets = [
        (None, {"fields": ["flag", "current_flag_state", "apply_at"]}),
        (
            _("What to change"),
            {
                "description": _("Anything left as it is keeps the flag's setting at that time."),
                "fields": ["everyone", "percent", "groups", "replace_groups", "note"],
            },
        ),
        (
            _("Outcome"),
            {"fields": ["status", "created_by", "created_at", "applied_at", "error"]},
        ),
    ]
    actions = ["cancel_selected", "apply_due_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_actions(self, request):
        actions = super().get_actions(request)
        # A change that was made is part of the record: cancel instead of deleting in bulk.
        actions.pop("delete_selected", None)
        return actions

    def has_change_permission(self, request, obj=None) -> bool:
        # Only a pending change can be edited; the others are kept as they happened.
        if obj is not None and obj.status != ScheduledFlagChange.Status.PENDING:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status == ScheduledFlagChange.Status.APPLIED:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("the flag now"))
    def current_flag_state(self, obj: ScheduledFlagChange) -> str:
        if obj is None or obj.flag_id is None:
            return _("Choose a flag and save to see how it is set now.")
        return flag_state(obj.flag)

    @admin.display(description=_("change"))
    def change_summary(self, obj: ScheduledFlagChange) -> str:
        parts = []
        if obj.everyone != ScheduledFlagChange.Everyone.KEEP:
            parts.append(str(obj.get_everyone_display()))
        if obj.percent is not None:
            parts.append(_("percentage %(percent)s %%") % {"percent": obj.percent})
        groups = ", ".join(group.name for group in obj.groups.all())
        if obj.replace_groups:
            parts.append(_("groups become: %(groups)s") % {"groups": groups or "-"})
        elif groups:
            parts.append(_("add groups: %(groups)s") % {"groups": groups})
        return "; ".join(parts)

    @admin.action(description=_("Cancel the selected pending changes"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        cancelled = sum(scheduled_change_cancel(change=change) for change in queryset)
        self.message_user(
            request,
            ngettext("%(count)d change cancelled.", "%(count)d changes cancelled.", cancelled)
            % {"count": cancelled},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Make every change that is due now (ignores the selection)"),
        permissions=["change"],
    )
    def apply_due_now(self, request, queryset):
        applied = scheduled_changes_apply()
        self.message_user(
            request,
            ngettext("%(count)d due change made.", "%(count)d due changes made.", applied)
            % {"count": applied},
            messages.SUCCESS,
        )


# Experiments, their results and the planner (flags/admin_experiments.py).
from flags import admin_experiments  # noqa: E402, F401
