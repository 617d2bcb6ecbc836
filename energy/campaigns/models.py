"""Saving campaigns: year-on-year saving points and demand-response events, the points ledger,
and customers' notification preferences and the emails sent to them.

The tables keep the names they had in the energy app (``energy_…``): the models moved, the data
did not (migrations/0001_initial.py).
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from config.errors import Conflict


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ANNOUNCED = "announced", _("Announced")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class CampaignBase(models.Model):
    """Who takes part: everyone, or customers in these regions / groups / an experiment's
    variant (all conditions given must hold)."""

    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    commodity = models.CharField(
        _("commodity"),
        max_length=20,
        choices=[("electricity", _("Electricity")), ("gas", _("Gas"))],
        default="electricity",
    )
    regions = models.ManyToManyField(
        "energy.Region",
        blank=True,
        related_name="+",
        verbose_name=_("regions"),
        help_text=_("Only customers with a home in these regions. Empty: all regions."),
    )
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="+",
        verbose_name=_("groups"),
        help_text=_("Only members of these groups. Empty: everyone."),
    )
    experiment = models.ForeignKey(
        "flags.Experiment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("experiment"),
        help_text=_("Only customers exposed to this experiment (with the variant below)."),
    )
    experiment_variant = models.CharField(
        _("experiment variant"),
        max_length=50,
        blank=True,
        help_text=_("The variant key whose customers take part; empty: every exposed customer."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class YearOnYearCampaign(CampaignBase):
    """Points for each month in the period whose use is at least N % below the same calendar
    month a year earlier (optionally weather-normalised), up to a cap per customer."""

    period_start = models.DateField(_("first month"), help_text=_("Any day of the first month."))
    period_end = models.DateField(_("final month"), help_text=_("Any day of the final month."))
    min_saving_percent = models.DecimalField(
        _("minimum saving (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("A month qualifies when its use is at least this much below last year's."),
    )
    weather_normalised = models.BooleanField(
        _("weather-normalised"),
        default=False,
        help_text=_(
            "Compare last year's month with what it would have been in this year's weather "
            "(the customer's own heating and cooling model)."
        ),
    )
    points_per_month = models.PositiveIntegerField(_("points per qualifying month"))
    cap_points = models.PositiveIntegerField(
        _("cap per customer"), help_text=_("The most points a customer can earn in this campaign.")
    )
    # Every change staff make, announcing and finishing included, with who, when and why.
    history = HistoricalRecords(m2m_fields=["regions", "groups"])

    class Meta:
        db_table = "energy_yearonyearcampaign"
        verbose_name = _("year-on-year campaign")
        verbose_name_plural = _("year-on-year campaigns")
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return self.title_en or self.title_ja

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The final month is before the first.")})


class BaselineMethod(models.TextChoices):
    AVERAGE_5 = "average_5", _("Average of the last 5 similar days")
    HIGH_4_OF_5 = "high_4_of_5", _("High 4 of the last 5 similar days")
    WEATHER = "weather", _("Weather-adjusted model (savings engine)")


class DemandResponseEvent(CampaignBase):
    """A tight-supply day: points per kWh saved in the requested hours, against a baseline."""

    event_date = models.DateField(_("date"))
    start_hour = models.PositiveSmallIntegerField(
        _("from (hour)"), validators=[MaxValueValidator(23)], help_text=_("Local time, 0-23.")
    )
    end_hour = models.PositiveSmallIntegerField(
        _("until (hour)"),
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("Local time, exclusive: 17 to 20 means 17:00-20:00."),
    )
    points_per_kwh = models.DecimalField(
        _("points per kWh saved"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)]
    )
    baseline_method = models.CharField(
        _("baseline"),
        max_length=20,
        choices=BaselineMethod.choices,
        default=BaselineMethod.AVERAGE_5,
    )
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Every change staff make, announcing (which emails customers) and cancelling included.
    history = HistoricalRecords(m2m_fields=["regions", "groups"])

    class Meta:
        db_table = "energy_demandresponseevent"
        verbose_name = _("demand-response event")
        verbose_name_plural = _("demand-response events")
        ordering = ["-event_date"]

    def __str__(self) -> str:
        return f"{self.event_date} {self.start_hour:02d}-{self.end_hour:02d} {self.title_en}"

    def clean(self) -> None:
        hours_given = self.start_hour is not None and self.end_hour is not None
        if hours_given and self.end_hour <= self.start_hour:
            raise ValidationError({"end_hour": _("The window must end after it starts.")})


class LedgerAppendOnly(Conflict):
    """A points line was to be changed or deleted: the ledger only grows."""

    code = "ledger_append_only"


_APPEND_ONLY = (
    "The points ledger is append-only: a line is never changed or deleted. Append a correction "
    "instead (energy.campaigns.ledger.points_award)."
)


class PointsEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerAppendOnly(_APPEND_ONLY)

    def delete(self):
        raise LedgerAppendOnly(_APPEND_ONLY)


class PointsEntry(models.Model):
    """One line of the points ledger, never edited: a correction is a new line.

    ``award_key`` names what was awarded (a campaign month or an event for a customer); the
    sum of a key's lines is what the customer holds for it, so recomputing adds only the
    difference and never awards twice.

    Append-only twice over: saving an existing line, deleting one, or ``update()``/``delete()``
    on a queryset raise ``LedgerAppendOnly``; under PostgreSQL a trigger refuses UPDATE and
    DELETE on the table whatever the client (migrations/0002_ledger_append_only.py).
    """

    class Kind(models.TextChoices):
        AWARD = "award", _("Award")
        CORRECTION = "correction", _("Correction")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="points",
        verbose_name=_("customer"),
    )
    premise = models.ForeignKey(
        "energy.Premise", on_delete=models.PROTECT, related_name="+", verbose_name=_("premise")
    )
    yoy_campaign = models.ForeignKey(
        YearOnYearCampaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points",
        verbose_name=_("year-on-year campaign"),
    )
    event = models.ForeignKey(
        DemandResponseEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points",
        verbose_name=_("demand-response event"),
    )
    award_key = models.CharField(_("award"), max_length=100, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    basis = models.JSONField(_("basis"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        db_table = "energy_pointsentry"
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.award_key}: {self.points:+d}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise LedgerAppendOnly(_APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerAppendOnly(_APPEND_ONLY)


class NotificationPreference(models.Model):
    """What a customer wants by email; each email's link turns one kind off without login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("customer"),
    )
    event_announcements = models.BooleanField(_("event announcements"), default=True)
    high_usage_alerts = models.BooleanField(_("high-usage alerts"), default=True)
    weekly_summary = models.BooleanField(_("weekly usage summary"), default=False)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="ja"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "energy_notificationpreference"
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class EmailDelivery(models.Model):
    """One email to one customer, keyed so that a retried task never sends it twice."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("key"), max_length=150, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=30)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        db_table = "energy_emaildelivery"
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key
