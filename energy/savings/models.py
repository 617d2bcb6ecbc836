"""Recommendations, their wording, and the interventions whose savings are measured.

The tables keep the names they had in the energy app (``energy_…``): the models moved, the data
did not (migrations/0001_initial.py).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Staff edit the wording in the admin: every change is kept with who, when, before and after,
# and can be restored (core/history.py).
from simple_history.models import HistoricalRecords

from energy.models import Meter, Premise, Unit


class Intervention(models.Model):
    """Something done at a premise from a date on that is expected to change usage.

    ``true_saving_fraction`` is only known for synthetic demo data: the ground truth a
    savings estimate can be checked against.
    """

    meter = models.ForeignKey(
        Meter, on_delete=models.CASCADE, related_name="interventions", verbose_name=_("meter")
    )
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200)
    true_saving_fraction = models.FloatField(_("true saving fraction"), null=True, blank=True)

    class Meta:
        db_table = "energy_intervention"
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["meter", "date"]

    def __str__(self) -> str:
        return f"{self.meter} {self.date}: {self.description}"


class RecommendationKind(models.TextChoices):
    STANDBY = "standby", _("Standby power")
    HEATING = "heating", _("Heating setpoint")
    PEAK_SHIFT = "peak_shift", _("Peak shift")
    HIGH_USAGE = "high_usage", _("High usage alert")
    SIMILAR_HOMES = "similar_homes", _("Similar homes comparison")
    BILL_FORECAST = "bill_forecast", _("Bill forecast")


class RecommendationTemplate(models.Model):
    """The wording of one kind of recommendation, in Japanese and English.

    Staff edit it in the admin; ``{placeholders}`` are filled with the recommendation's
    numbers when it is shown (the admin lists the placeholders each kind may use).
    """

    kind = models.CharField(
        _("kind"), max_length=20, choices=RecommendationKind.choices, unique=True
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    body_ja = models.TextField(_("body (Japanese)"))
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_en = models.TextField(_("body (English)"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(table_name="energy_historicalrecommendationtemplate")

    class Meta:
        db_table = "energy_recommendationtemplate"
        verbose_name = _("recommendation template")
        verbose_name_plural = _("recommendation templates")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class Confidence(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RecommendationStatus(models.TextChoices):
    NEW = "new", _("New")
    WILL_DO = "will_do", _("Will do")
    DONE = "done", _("Done")
    NOT_FOR_ME = "not_for_me", _("Not for me")


class Recommendation(models.Model):
    """One premise's (and meter's) current recommendation of one kind.

    Recomputation updates the row in place, so the customer's status survives; a kind that no
    longer applies is kept with ``is_current=False`` (its status and measured savings stay).
    Savings are per year in the meter's unit (kWh or m³), in yen and in kg CO2; empty where a
    figure could not be estimated (``basis`` then says why).
    """

    premise = models.ForeignKey(
        Premise, on_delete=models.CASCADE, related_name="recommendations", verbose_name=_("premise")
    )
    meter = models.ForeignKey(
        Meter,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("meter"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RecommendationKind.choices)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, blank=True)
    saving_per_year = models.FloatField(
        _("estimated saving per year"), null=True, blank=True, help_text=_("In the meter's unit.")
    )
    saving_jpy = models.FloatField(_("estimated saving per year (JPY)"), null=True, blank=True)
    saving_co2_kg = models.FloatField(
        _("estimated saving per year (kg CO2)"), null=True, blank=True
    )
    is_alert = models.BooleanField(_("alert"), default=False)
    confidence = models.CharField(_("confidence"), max_length=8, choices=Confidence.choices)
    basis = models.JSONField(_("basis"), default=dict, help_text=_("The numbers used."))
    computed_at = models.DateTimeField(_("computed at"))
    is_current = models.BooleanField(_("current"), default=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.NEW,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    # Filled after "done", once enough data exists (CalTRACK M&V from the status date on).
    measured_fractional_savings = models.FloatField(
        _("measured fractional savings"), null=True, blank=True
    )
    measured_fractional_savings_uncertainty = models.FloatField(
        _("measured fractional savings uncertainty (90 %)"), null=True, blank=True
    )
    measured_avoided = models.FloatField(
        _("measured avoided use"), null=True, blank=True, help_text=_("In the meter's unit.")
    )
    measured_avoided_uncertainty = models.FloatField(
        _("measured avoided use uncertainty (90 %)"), null=True, blank=True
    )
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    measurement = models.JSONField(
        _("measurement"),
        default=dict,
        blank=True,
        help_text=_("The M&V result, or why savings cannot be measured yet."),
    )

    class Meta:
        db_table = "energy_recommendation"
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["premise", "kind", "meter"]
        constraints = [
            # One row per (premise, meter, kind); two partial constraints because NULL meters
            # are distinct in a plain unique constraint.
            models.UniqueConstraint(
                fields=["premise", "meter", "kind"],
                condition=models.Q(meter__isnull=False),
                name="recommendation_one_per_premise_meter_kind",
            ),
            models.UniqueConstraint(
                fields=["premise", "kind"],
                condition=models.Q(meter__isnull=True),
                name="recommendation_one_per_premise_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "measured_at"], name="recommendation_status")]

    def __str__(self) -> str:
        return f"{self.premise} {self.meter or ''} {self.kind}"

    @property
    def hourly_share(self) -> list[float] | None:
        """The premise's use by local hour (24 shares) that a bill forecast keeps, to price a
        time-of-use premise's days without raw readings; None for other kinds."""
        if self.kind != RecommendationKind.BILL_FORECAST:
            return None
        return (self.basis or {}).get("hourly_share")
