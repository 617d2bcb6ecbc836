"""The admin side of the audit trail: every admin of a model staff edit derives from
``StaffHistoryAdmin``.

Every change asks for a reason, kept in the object's history: the change form has a "Reason"
field, and an action wrapped in :func:`confirmed_action` first shows what it will do to each
selected object and asks for the reason there.

Its History page (``admin/<app>/<model>/<id>/history/``) lists each version with who, when,
why and what changed (before → after per field), and a "Restore this version" link per row to
``admin/<app>/<model>/<id>/history/<history_id>/restore/``, which shows what the restore will
change and restores on a POST with a reason.
``recent_changes_view`` (``/admin/changes/``) lists the latest changes across those models.
"""

import functools
from collections.abc import Callable
from datetime import date, datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_history_manager_for_model

from core.history import (
    history_batch_finish,
    history_batch_start,
    history_reason,
    history_recent,
    history_restore,
)

# Fields every save changes by itself: listing them as "changed" would hide what staff did.
HISTORY_DIFF_IGNORED_FIELDS = ("modified", "updated_at")

REASON_FIELD = "history_reason"
# Short enough that a restore's "(restored: 2026-12-03 08:23)" still fits the history column.
REASON_INPUT_MAX_LENGTH = 70


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Reason for this change"),
        max_length=REASON_INPUT_MAX_LENGTH,
        help_text=gettext_lazy(
            "A few words for whoever reads the history, for example “pilot went well, "
            "widen to 50 %”."
        ),
        widget=forms.TextInput(attrs={"size": 60, "autocomplete": "off"}),
    )


class ReasonForm(forms.Form):
    history_reason = reason_field()


def confirmed_action(
    consequences: Callable[[admin.ModelAdmin, object], str] | None = None,
) -> Callable:
    """Wrap an admin action so that it first shows a confirmation page: each selected object
    with what the action will do to it (``consequences(model_admin, obj)``, for example
    "27 customers will get an email") and a field for the reason, which every history entry
    the action creates then carries. Put it under ``@admin.action``."""

    def decorate(action: Callable) -> Callable:
        @functools.wraps(action)
        def confirmed(model_admin, request, queryset):
            form = ReasonForm(request.POST if "confirm" in request.POST else None)
            if form.is_valid():
                with history_reason(form.cleaned_data[REASON_FIELD]):
                    return action(model_admin, request, queryset)
            opts = model_admin.model._meta
            rows = [
                {"object": obj, "consequence": (consequences or _no_consequence)(model_admin, obj)}
                for obj in queryset
            ]
            context = {
                **model_admin.admin_site.each_context(request),
                "title": _("Are you sure?"),
                "subtitle": str(getattr(confirmed, "short_description", action.__name__)),
                "opts": opts,
                "rows": rows,
                "form": form,
                "action_name": request.POST.get("action", action.__name__),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "changelist_url": reverse(
                    f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"
                ),
            }
            return TemplateResponse(request, "core/admin/action_confirmation.html", context)

        return confirmed

    return decorate


class StaffHistoryContextHelper(HistoricalRecordContextHelper):
    """Values as staff know them: Yes/No, a choice's label, the names of groups, "-" for none."""

    def prepare_delta_change_value(self, change, value):
        # Times in the console's time zone and format, not str() of the stored UTC value.
        if isinstance(value, datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(value, date):
            return formats.date_format(value, "DATE_FORMAT")
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if isinstance(value, list):
            return ", ".join(map(str, value)) or "-"
        if value is None or value == "":
            return "-"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        return value


class StaffHistoryAdmin(SimpleHistoryAdmin):
    object_history_template = "core/admin/object_history.html"
    object_history_list_template = "core/admin/object_history_list.html"

    def get_urls(self):
        opts = self.model._meta
        restore = path(
            "<path:object_id>/history/<int:history_id>/restore/",
            self.admin_site.admin_view(self.history_restore_view),
            name=f"{opts.app_label}_{opts.model_name}_history_restore",
        )
        return [restore, *super().get_urls()]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """A date-and-time field's two inputs each get a name a screen reader reads out
        (Django's split widget labels only the pair)."""
        formfield = super().formfield_for_dbfield(db_field, request=request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, AdminSplitDateTime):
            date_input, time_input = widget.widgets
            name = capfirst(db_field.verbose_name)
            date_input.attrs["aria-label"] = _("%(field)s: date") % {"field": name}
            time_input.attrs["aria-label"] = _("%(field)s: time") % {"field": name}
        return formfield

    # --- Every change asks for a reason -----------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.pop("form", self.form)
        with_reason = type(base.__name__, (base,), {REASON_FIELD: reason_field()})
        return super().get_form(request, obj, change=change, form=with_reason, **kwargs)

    def get_fieldsets(self, request, obj=None):
        """The admin's fieldsets, then "Why" with the reason, where this user may save."""
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != REASON_FIELD]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        can_save = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        if can_save:
            fieldsets.append((_("Why"), {"fields": [REASON_FIELD]}))
        return fieldsets

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Used only when the form is valid, so the reason is the one validated.
        reason = request.POST.get(REASON_FIELD, "").strip() if request.method == "POST" else ""
        with history_reason(reason or None):
            return super().changeform_view(request, object_id, form_url, extra_context)

    # --- One admin save is one history entry (see core/history.py) -------------------------

    def save_model(self, request, obj, form, change):
        history_batch_start(instance=obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        history_batch_finish(instance=form.instance)

    # --- The History page -----------------------------------------------------------------

    def history_view_title(self, request, obj):
        return _("Change history: %s") % obj

    def revert_disabled(self, request, obj=None):
        # simple-history's own revert (an editable form of the old version) is replaced by the
        # one-click restore below; its version pages stay, read-only.
        return True

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        context = {
            "can_restore": obj is not None and self.has_change_permission(request, obj),
            "restore_url_name": self._restore_url_name(),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, extra_context=context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return StaffHistoryContextHelper(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current,
                    excluded_fields=HISTORY_DIFF_IGNORED_FIELDS,
                    foreign_keys_are_objs=foreign_keys_are_objs,
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    # --- Restore -------------------------------------------------------------------------------

    def _restore_url_name(self) -> str:
        opts = self.model._meta
        return f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history_restore"

    def restore_consequences(self, request, obj, record) -> list[str]:
        """What else a restore of ``obj`` to ``record`` changes for people (a flag: who gets
        it); shown on the confirmation page. None by default."""
        return []

    def history_restore_view(self, request, object_id, history_id):
        """GET: what restoring this version will change, and a field for the reason.
        POST with a reason: restore it."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        history = get_history_manager_for_model(self.model)
        pk_name = self.model._meta.pk.attname
        record = get_object_or_404(history, **{pk_name: object_id, "history_id": history_id})
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        opts = self.model._meta
        history_url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]
        )
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            return self._restore(request, record, form.cleaned_data[REASON_FIELD], history_url)
        current = history.filter(**{pk_name: object_id}).order_by("-history_date").first()
        # Now (old) → this version (new).
        delta = record.diff_against(
            current, excluded_fields=HISTORY_DIFF_IGNORED_FIELDS, foreign_keys_are_objs=True
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Restore %(object)s to its version of %(date)s?")
            % {"object": obj, "date": _localized(record.history_date)},
            "opts": opts,
            "object": obj,
            "record": record,
            "changes": self.get_historical_record_context_helper(
                request, record
            ).context_for_delta_changes(delta),
            "consequences": self.restore_consequences(request, obj, record),
            "form": form,
            "history_url": history_url,
        }
        return TemplateResponse(request, "core/admin/restore_confirmation.html", context)

    def _restore(self, request, record, reason: str, history_url: str):
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                restored = history_restore(record=record, user=request.user, reason=reason)
                # Also in the admin's "recent actions", like any other change.
                self.log_change(request, restored, f"Restored the version #{record.history_id}.")
        except ValidationError as exc:
            self.message_user(
                request,
                _("This version cannot be restored: %(errors)s")
                % {"errors": " ".join(exc.messages)},
                messages.ERROR,
            )
            return HttpResponseRedirect(history_url)
        self.message_user(
            request,
            _("%(object)s was restored to its version of %(date)s.")
            % {"object": restored, "date": _localized(record.history_date)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(history_url)


def _no_consequence(model_admin, obj) -> str:
    return ""


def _localized(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def recent_changes_view(request):
    """Admin page: the latest changes staff (or scheduled changes) made, across every model."""
    admin_site = admin.site
    rows = []
    for entry in history_recent(user=request.user):
        model = entry.instance_type
        opts = model._meta
        previous = entry.prev_record
        changes = []
        if previous is not None:
            delta = entry.diff_against(
                previous, excluded_fields=HISTORY_DIFF_IGNORED_FIELDS, foreign_keys_are_objs=True
            )
            changes = StaffHistoryContextHelper(model, entry).context_for_delta_changes(delta)
        history_url = None
        if model in admin_site._registry:
            history_url = reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_history",
                args=[getattr(entry, opts.pk.attname)],
            )
        rows.append(
            {
                "entry": entry,
                "model_name": opts.verbose_name,
                "object": entry.history_object,
                "history_url": history_url,
                "changes": changes,
            }
        )
    context = {
        **admin_site.each_context(request),
        "title": _("Recent changes"),
        "rows": rows,
    }
    return TemplateResponse(request, "core/admin/recent_changes.html", context)


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs each carry their column's name (``aria-label``): the
    column header alone labels none of them for a screen reader (axe: label)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Labelled(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)  # the fields, then DELETE and ORDER
                for name, field in form.fields.items():
                    field.widget.attrs.setdefault("aria-label", str(field.label or capfirst(name)))

        Labelled.__name__ = formset.__name__
        return Labelled
