"""Recommendations and their wording in the admin: staff edit the wording (with history and a
check of its placeholders); recommendations and interventions are read here."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.history_admin import StaffHistoryAdmin
from energy.savings.models import Intervention, Recommendation, RecommendationTemplate
from energy.savings.templates import placeholders_allowed, template_placeholder_errors


@admin.register(Intervention)
class InterventionAdmin(admin.ModelAdmin):
    list_display = ["meter", "date", "description", "true_saving_fraction"]
    search_fields = ["meter__serial", "description"]
    raw_id_fields = ["meter"]


class RecommendationTemplateForm(forms.ModelForm):
    """Each text may use only its kind's placeholders; anything else is a form error."""

    class Meta:
        model = RecommendationTemplate
        fields = ["kind", "title_ja", "body_ja", "title_en", "body_en"]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or getattr(self.instance, "kind", None)
        if not kind:
            return cleaned
        for name in ["title_ja", "body_ja", "title_en", "body_en"]:
            text = cleaned.get(name)
            if text:
                for error in template_placeholder_errors(kind=kind, text=text):
                    self.add_error(name, error)
        return cleaned


@admin.register(RecommendationTemplate)
class RecommendationTemplateAdmin(StaffHistoryAdmin):
    form = RecommendationTemplateForm
    list_display = ["kind", "title_ja", "title_en", "updated_at"]
    search_fields = ["title_ja", "title_en", "body_ja", "body_en"]
    readonly_fields = ["placeholders", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # The kind ties a template to the code that fills it: fixed once created.
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    @admin.display(description=_("placeholders you can use"))
    def placeholders(self, obj: RecommendationTemplate) -> str:
        if not obj or not obj.kind:
            return "-"
        return format_html_join(
            " ",
            "<code>{{{}}}</code>",
            ((name,) for name in sorted(placeholders_allowed(kind=obj.kind))),
        )


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    """Computed by the savings engine: read-only here (wording lives in the templates)."""

    list_display = [
        "premise",
        "meter",
        "kind",
        "saving_per_year",
        "unit",
        "saving_jpy",
        "saving_co2_kg",
        "confidence",
        "is_current",
        "status",
        "measured_fractional_savings",
        "computed_at",
    ]
    list_filter = ["kind", "status", "confidence", "is_current", "is_alert"]
    search_fields = ["premise__name", "meter__serial", "premise__owner__username"]
    list_select_related = ["premise", "meter"]
    raw_id_fields = ["premise", "meter"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
