"""Experiments in the admin: business staff create, start, pause and stop them, read their
results (with the lift chart and the sample-ratio check) and plan their size."""

from datetime import timedelta

import numpy as np
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.errors import ShoeneError
from core.charts import figure_html
from core.history_admin import LabelledTabularInline, StaffHistoryAdmin, confirmed_action
from energy.selectors import dwelling_type_choices, premise_owner_ids
from flags.charts import lift_figure
from flags.experiments import stats
from flags.experiments.lifecycle import (
    MIN_VARIANTS,
    experiment_pause,
    experiment_start,
    experiment_stop,
)
from flags.experiments.metrics import ExposedUnit, metric_values
from flags.experiments.results import experiment_results_compute
from flags.models import Experiment, ExperimentResult, Metric, Variant
from flags.registry import registry
from flags.selectors import experiment_result_latest

WEIGHT_TOLERANCE = 0.001


def _start_consequence(model_admin, experiment) -> str:
    return _("%(percent)s %% of the customers it targets get a variant as they next visit") % {
        "percent": f"{float(experiment.traffic_percent):g}"
    }


def _exposed_get_default(model_admin, experiment) -> str:
    exposed = experiment.exposures.count()
    return ngettext(
        "%(count)d customer in it gets the flag's default value",
        "%(count)d customers in it get the flag's default value",
        exposed,
    ) % {"count": exposed}


class ExperimentForm(forms.ModelForm):
    target_dwelling_types = forms.MultipleChoiceField(
        label=_("dwelling types"),
        choices=dwelling_type_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only these dwelling types. None ticked: all."),
    )
    guardrail_metrics = forms.MultipleChoiceField(
        label=_("guardrail metrics"),
        choices=Metric.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Metrics that must not get significantly worse."),
    )

    class Meta:
        model = Experiment
        fields = (
            "key",
            "name",
            "hypothesis",
            "owner",
            "status",
            "starts_at",
            "ends_at",
            "traffic_percent",
            "target_regions",
            "target_dwelling_types",
            "target_groups",
            "primary_metric",
            "guardrail_metrics",
            "hash_seed",
        )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        spec = registry().get(key)
        if spec is None or spec.value_type == "boolean":
            typed = ", ".join(n for n, s in registry().items() if s.value_type != "boolean")
            raise ValidationError(
                _("No value flag named %(key)s is declared in the code. Choose one of: %(typed)s."),
                params={"key": key, "typed": typed},
            )
        return key


class VariantFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        forms_kept = [
            f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE", False)
        ]
        if not forms_kept:
            return
        total = sum(float(f.cleaned_data["weight"]) for f in forms_kept)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValidationError(
                _("The variants' weights add up to %(total)s; they must add up to 1."),
                params={"total": f"{total:g}"},
            )
        spec = registry().get(self.instance.key) if self.instance else None
        if spec is not None:
            expected = {"string": str, "number": (int, float), "object": (dict, list)}.get(
                spec.value_type
            )
            for form in forms_kept:
                value = form.cleaned_data.get("value")
                if expected and not isinstance(value, expected):
                    form.add_error(
                        "value",
                        _("This flag's values are %(type)s.") % {"type": spec.value_type},
                    )


class VariantInline(LabelledTabularInline):
    model = Variant
    formset = VariantFormSet
    extra = 0
    min_num = MIN_VARIANTS
    fields = ("position", "key", "name", "weight", "value")
    # Narrow inputs: a variant row fits beside the navigation on a 1280 px screen.
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 20})},
        models.CharField: {"widget": forms.TextInput(attrs={"size": 16})},
    }


@admin.register(Experiment)
class ExperimentAdmin(StaffHistoryAdmin):
    form = ExperimentForm
    inlines = [VariantInline]
    list_display = (
        "key",
        "name",
        "status",
        "traffic_percent",
        "primary_metric",
        "exposure_count",
        "srm_status",
        "updated_at",
    )
    list_filter = ("status", "primary_metric", "owner")
    search_fields = ("key", "name", "owner", "hypothesis")
    readonly_fields = ("created_at", "updated_at", "results_link")
    # Plain checkboxes: the few regions and groups fit in a list, and Django's two-box filter
    # widget carries ARIA attributes its elements may not have (axe: aria-prohibited-attr).
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    actions = ["start", "pause", "stop", "compute_results"]
    fieldsets = (
        (None, {"fields": ("key", "name", "hypothesis", "owner", "status", "results_link")}),
        (_("When and how many"), {"fields": ("starts_at", "ends_at", "traffic_percent")}),
        (
            _("Who takes part"),
            {"fields": ("target_regions", "target_dwelling_types", "target_groups")},
        ),
        (_("What it measures"), {"fields": ("primary_metric", "guardrail_metrics")}),
        (_("Advanced"), {"classes": ("collapse",), "fields": ("hash_seed",)}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_exposures=Count("exposures"))

    @admin.display(description=_("exposed customers"), ordering="_exposures")
    def exposure_count(self, obj) -> int:
        return obj._exposures

    @admin.display(description=_("sample ratio"))
    def srm_status(self, obj) -> str:
        latest = experiment_result_latest(experiment=obj)
        if latest is None or latest.srm_p_value is None:
            return "—"
        return _("mismatch") if latest.srm_flagged else _("ok")

    @admin.display(description=_("results"))
    def results_link(self, obj) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:flags_experiment_results", args=[obj.pk]),
            _("Results"),
            reverse("admin:flags_experiment_planner", args=[obj.pk]),
            _("Planner"),
        )

    # --- status actions ------------------------------------------------------------------

    @admin.action(description=_("Start the selected experiments"), permissions=["change"])
    @confirmed_action(_start_consequence)
    def start(self, request, queryset) -> None:
        for experiment in self._each(request, queryset, experiment_start):
            self.message_user(request, _("%(key)s is running.") % {"key": experiment.key})

    @admin.action(description=_("Pause the selected experiments"), permissions=["change"])
    @confirmed_action(_exposed_get_default)
    def pause(self, request, queryset) -> None:
        list(self._each(request, queryset, experiment_pause))

    @admin.action(description=_("Stop the selected experiments"), permissions=["change"])
    @confirmed_action(_exposed_get_default)
    def stop(self, request, queryset) -> None:
        list(self._each(request, queryset, experiment_stop))

    def _each(self, request, queryset, service):
        """Call ``service(experiment=…, user=…)`` per experiment; a refusal is a message, the
        others go on."""
        for experiment in queryset:
            try:
                changed = service(experiment=experiment, user=request.user)
            except ShoeneError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                yield changed

    @admin.action(description=_("Compute results now"), permissions=["view"])
    def compute_results(self, request, queryset) -> None:
        for experiment in queryset:
            experiment_results_compute(experiment=experiment)
        self.message_user(request, _("Results computed."))

    # --- results and planner pages -------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<int:pk>/results/",
                self.admin_site.admin_view(self.results_view),
                name="flags_experiment_results",
            ),
            path(
                "<int:pk>/planner/",
                self.admin_site.admin_view(self.planner_view),
                name="flags_experiment_planner",
            ),
        ]
        return own + super().get_urls()

    def results_view(self, request, pk: int):
        experiment = get_object_or_404(Experiment, pk=pk)
        if not self.has_view_permission(request, experiment):
            raise PermissionDenied
        if request.method == "POST":
            experiment_results_compute(experiment=experiment)
            self.message_user(request, _("Results computed."))
            return redirect("admin:flags_experiment_results", pk=pk)
        result = experiment_result_latest(experiment=experiment)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "experiment": experiment,
            "result": result,
            "title": _("Results: %(name)s") % {"name": experiment.name},
            "metrics": _results_rows(result) if result else [],
            "chart": figure_html(lift_figure(**_lift_chart_data(result)), div_id="lift-chart")
            if result and result.data.get("metrics")
            else None,
        }
        return TemplateResponse(request, "admin/flags/experiment/results.html", context)

    def planner_view(self, request, pk: int):
        experiment = get_object_or_404(Experiment, pk=pk)
        if not self.has_view_permission(request, experiment):
            raise PermissionDenied
        form = PlannerForm(request.GET or None, initial=_planner_initial(experiment))
        plan = None
        if form.is_valid():
            plan = experiment_plan(experiment=experiment, **form.cleaned_data)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "experiment": experiment,
            "form": form,
            "plan": plan,
            "title": _("Planner: %(name)s") % {"name": experiment.name},
        }
        return TemplateResponse(request, "admin/flags/experiment/planner.html", context)


@admin.register(Variant)
class VariantAdmin(StaffHistoryAdmin):
    """Variants are edited on their experiment's page, where the weights are checked together;
    their own pages are read-only, for their history and restore."""

    list_display = ("experiment", "key", "name", "weight", "value", "position")
    list_filter = ("experiment",)
    search_fields = ("key", "name", "experiment__key")

    def has_add_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(ExperimentResult)
class ExperimentResultAdmin(admin.ModelAdmin):
    list_display = ("experiment", "computed_at", "srm_flagged", "srm_p_value")
    list_filter = ("srm_flagged",)
    readonly_fields = ("experiment", "computed_at", "srm_p_value", "srm_flagged", "data")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _fmt(value, pattern: str = "{:.3g}") -> str:
    return "—" if value is None else pattern.format(value)


def _interval(ci, percent: bool = False) -> str:
    if not ci:
        return "—"
    if percent:
        return f"[{100 * ci[0]:+.1f} %, {100 * ci[1]:+.1f} %]"
    return f"[{ci[0]:+.3g}, {ci[1]:+.3g}]"


def _results_rows(result: ExperimentResult) -> list[dict]:
    """The stored results as table rows per metric (formatted for the admin page)."""
    metrics = []
    order = [variant["key"] for variant in result.data.get("variants", [])]
    for key, metric in result.data.get("metrics", {}).items():
        rows = []
        # The stored JSON's key order is not kept (PostgreSQL jsonb): control first, as defined.
        for variant_key in order:
            summary = metric["summaries"].get(variant_key)
            if summary is None:
                continue
            lift = metric["lifts"].get(variant_key)
            welch = (lift or {}).get("welch") or {}
            cuped = (lift or {}).get("cuped") or {}
            rows.append(
                {
                    "variant": variant_key,
                    "units": summary["units"],
                    "mean": _fmt(summary["mean"]),
                    "sd": _fmt(summary["sd"]),
                    "absolute": _fmt(welch.get("absolute"), "{:+.3g}") if lift else _("control"),
                    "absolute_ci": _interval(welch.get("absolute_ci")) if lift else "",
                    "relative": _fmt(welch.get("relative"), "{:+.1%}") if lift else "",
                    "relative_ci": _interval(welch.get("relative_ci"), True) if lift else "",
                    "p_value": _fmt(welch.get("p_value"), "{:.3f}") if lift else "",
                    "cuped_relative": _fmt(cuped.get("relative"), "{:+.1%}") if lift else "",
                    "cuped_ci": _interval(cuped.get("relative_ci"), True) if lift else "",
                    "cuped_p_value": _fmt(cuped.get("p_value"), "{:.3f}") if lift else "",
                    "status": welch.get("status", ""),
                }
            )
        metrics.append(
            {
                "key": key,
                "label": metric["label"],
                "role": metric["role"],
                "guardrail": metric["guardrail"],
                "rows": rows,
            }
        )
    return metrics


def _lift_chart_data(result: ExperimentResult) -> dict:
    labels, values, lows, highs, series = [], [], [], [], []
    for metric in result.data["metrics"].values():
        for variant_key, lift in metric["lifts"].items():
            for method in ("welch", "cuped"):
                data = lift.get(method) or {}
                if data.get("relative") is None or not data.get("relative_ci"):
                    continue
                method_name = "CUPED" if method == "cuped" else "Welch"
                labels.append(f"{metric['label']} · {variant_key} ({method_name})")
                values.append(100 * data["relative"])
                lows.append(100 * data["relative_ci"][0])
                highs.append(100 * data["relative_ci"][1])
                series.append("CUPED" if method == "cuped" else "Welch")
    return {
        "title": str(_("Relative lift against the control, with 95-percent intervals")),
        "labels": labels,
        "values": values,
        "lows": lows,
        "highs": highs,
        "series": series,
        "value_title": str(_("lift (%)")),
    }


# --- planner ------------------------------------------------------------------------------


class PlannerForm(forms.Form):
    metric = forms.ChoiceField(label=_("metric"), choices=Metric.choices)
    traffic_percent = forms.FloatField(
        label=_("traffic (%)"), min_value=0.1, max_value=100, initial=100
    )
    days = forms.IntegerField(
        label=_("duration (days)"),
        min_value=1,
        max_value=365,
        initial=28,
        help_text=_("Each customer's metric is their average over this many days."),
    )
    relative_effect_percent = forms.FloatField(
        label=_("effect to detect (%)"),
        min_value=0.1,
        max_value=100,
        required=False,
        help_text=_("Optional: how many customers per variant this effect needs."),
    )


def _planner_initial(experiment: Experiment) -> dict:
    return {
        "metric": experiment.primary_metric,
        "traffic_percent": float(experiment.traffic_percent),
        "days": 28,
    }


def eligible_user_ids(experiment: Experiment) -> list[int]:
    """Customers the experiment's targeting admits (owners of premises that match)."""
    regions = groups = None
    if experiment.pk and experiment.target_regions.exists():
        regions = experiment.target_regions.all()
    if experiment.pk and experiment.target_groups.exists():
        groups = experiment.target_groups.all()
    return premise_owner_ids(
        regions=regions, dwelling_types=experiment.target_dwelling_types, groups=groups
    )


def experiment_plan(
    *,
    experiment: Experiment,
    metric: str,
    traffic_percent: float,
    days: int,
    relative_effect_percent: float | None = None,
) -> dict:
    """The minimum detectable effect from the metric's observed spread among eligible
    customers over the last ``days`` days, and (optionally) the customers an effect needs."""
    users = eligible_user_ids(experiment)
    variants = max(experiment.variants.count(), 2) if experiment.pk else 2
    start = timezone.localdate() - timedelta(days=days)
    values = metric_values(
        metric=metric,
        units=[ExposedUnit(user_id, 0, start) for user_id in users],
        end=timezone.localdate() - timedelta(days=1),
    )
    observed = np.array([v.post for v in values.values()], dtype=float)
    plan = {
        "eligible": len(users),
        "with_data": int(observed.size),
        "variants": variants,
        "units_per_variant": int(len(users) * traffic_percent / 100 / variants),
        "mean": None,
        "sd": None,
        "mde": None,
        "units_needed": None,
        "relative_effect_percent": relative_effect_percent,
    }
    if observed.size < 2 or float(np.mean(observed)) == 0:
        return plan
    plan["mean"] = float(np.mean(observed))
    plan["sd"] = float(np.std(observed, ddof=1))
    if plan["units_per_variant"] >= 2:
        plan["mde"] = stats.minimum_detectable_effect(
            sd=plan["sd"],
            baseline_mean=plan["mean"],
            units_per_variant=plan["units_per_variant"],
            variants=variants,
        )
        plan["mde_percent"] = 100 * plan["mde"]
    if relative_effect_percent:
        plan["units_needed"] = stats.units_needed(
            sd=plan["sd"],
            baseline_mean=plan["mean"],
            relative_effect=relative_effect_percent / 100,
            variants=variants,
        )
    return plan
