"""Shoene's waffle flag model (``WAFFLE_FLAG_MODEL = "flags.Flag"``).

Percentage rollouts are sticky per user: a logged-in user's place comes from hashing (flag
name, user id) with GrowthBook's scheme (``flags.hashing``), not from a browser cookie.
Experiments, their variants and exposures live here too, with the history of staff changes
(django-simple-history) and flag changes scheduled for later.

History: every model staff edit gets ``history = HistoricalRecords()`` (or, for a model of
another package, ``simple_history.register(Model, app="flags")`` below, so its history table is
ours and its migration lives in flags/migrations), an admin based on
``core.history_admin.StaffHistoryAdmin``, and a line in ``energy.access.STAFF_EDITS``.
"""

import simple_history
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from waffle.models import AbstractUserFlag, Switch

from flags.hashing import bucket


class Flag(AbstractUserFlag):
    # Groups and users decide who sees the flag, so they are part of each version (and of a
    # restore); simple-history keeps their rows per version in tables of their own.
    history = HistoricalRecords(m2m_fields=["groups", "users"])

    class Meta(AbstractUserFlag.Meta):
        verbose_name = _("flag")
        verbose_name_plural = _("flags")

    def _is_active_for_percent(self, request: HttpRequest, read_only: bool) -> bool | None:
        """Sticky percentages: a logged-in user's place comes from hashing (flag, user id),
        not from waffle's per-browser cookie, so it is the same on every device."""
        user = getattr(request, "user", None)
        if self.percent and self.percent > 0 and user is not None and user.is_authenticated:
            return bucket(seed=self.name, value=str(user.pk)) * 100 < float(self.percent)
        return super()._is_active_for_percent(request, read_only)


# Waffle's own switch model: its history table is flags_historicalswitch.
simple_history.register(Switch, app="flags")


class ScheduledFlagChange(models.Model):
    """A change to a flag that staff set up now and Celery beat makes at ``apply_at``."""

    class Everyone(models.TextChoices):
        KEEP = "keep", _("Keep as it is")
        ON = "on", _("On for everyone")
        OFF = "off", _("Off for everyone")
        UNSET = "unset", _("Not forced: use the percentage, groups and other rules")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    flag = models.ForeignKey(
        Flag,
        on_delete=models.CASCADE,
        related_name="scheduled_changes",
        verbose_name=_("flag"),
    )
    apply_at = models.DateTimeField(
        _("apply at"),
        db_index=True,
        help_text=_(
            "When to make the change (Japan time). It is made within a minute of this time; a "
            "time in the past is made at the next run."
        ),
    )
    everyone = models.CharField(
        _("everyone"),
        max_length=10,
        choices=Everyone.choices,
        default=Everyone.KEEP,
        help_text=_(
            "On or off for everyone overrides every other rule of the flag. Choose “not forced” "
            "to hand the decision back to the percentage, groups and other rules."
        ),
    )
    percent = models.DecimalField(
        _("percentage"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "The share of visitors who get the flag, 0.0 to 99.9. Leave empty to keep the "
            "current percentage; 0 ends a percentage rollout."
        ),
    )
    groups = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="+",
        verbose_name=_("groups"),
        help_text=_(
            "User groups who get the flag. Added to the flag's groups unless you tick "
            "“replace groups”."
        ),
    )
    replace_groups = models.BooleanField(
        _("replace groups"),
        default=False,
        help_text=_(
            "Ticked: the flag's groups become exactly the groups chosen here (none chosen: the "
            "flag loses all its groups). Not ticked: the chosen groups are added."
        ),
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("Why the change is made, for whoever reads it later.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    created_at = models.DateTimeField(_("scheduled at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    error = models.TextField(
        _("error"), blank=True, help_text=_("Why the change could not be made, if it failed.")
    )

    class Meta:
        verbose_name = _("scheduled flag change")
        verbose_name_plural = _("scheduled flag changes")
        ordering = ["-apply_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "apply_at"], name="scheduled_change_status_due"),
        ]

    def __str__(self) -> str:
        return _("%(flag)s at %(apply_at)s") % {
            "flag": self.flag.name if self.flag_id else "?",
            "apply_at": timezone.localtime(self.apply_at).strftime("%Y-%m-%d %H:%M")
            if self.apply_at
            else "?",
        }


# --- experiments ------------------------------------------------------------------------------


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


class Metric(models.TextChoices):
    """What an experiment can measure; computed per customer from their own data."""

    DAILY_KWH = "daily_kwh", _("Average daily electricity (kWh)")
    DAILY_GAS_M3 = "daily_gas_m3", _("Average daily gas (m³)")
    DONE_RATE = "done_rate", _("Recommendation “done” rate")
    PORTAL_VISITS = "portal_visits", _("Portal visits per day")


class Experiment(models.Model):
    """An A/B test: customers are split between variants by hashing (sticky on every device).

    The key is also the name the code evaluates (a typed flag in flags/registry.py): while the
    experiment runs, a customer in it gets their variant's value, everyone else the default.
    """

    key = models.SlugField(
        _("key"),
        max_length=100,
        unique=True,
        help_text=_("The flag name the code reads, e.g. recommendation_framing."),
    )
    name = models.CharField(_("name"), max_length=200)
    hypothesis = models.TextField(
        _("hypothesis"),
        help_text=_("What you expect and why, e.g. “Showing kWh first makes more customers act”."),
    )
    owner = models.CharField(_("owner"), max_length=100, help_text=_("Team or person."))
    status = models.CharField(
        _("status"), max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    starts_at = models.DateTimeField(
        _("starts at"), null=True, blank=True, help_text=_("Empty: when it is set running.")
    )
    ends_at = models.DateTimeField(
        _("ends at"), null=True, blank=True, help_text=_("Empty: until stopped.")
    )
    traffic_percent = models.DecimalField(
        _("traffic (%)"),
        max_digits=4,
        decimal_places=1,
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The share of eligible customers who take part; the rest see the default."),
    )
    target_regions = models.ManyToManyField(
        "energy.Region",
        blank=True,
        verbose_name=_("regions"),
        help_text=_("Only customers whose home is in these regions. Empty: all regions."),
    )
    target_dwelling_types = models.JSONField(
        _("dwelling types"),
        default=list,
        blank=True,
        help_text=_("Only these dwelling types. Empty: all."),
    )
    target_groups = models.ManyToManyField(
        Group,
        blank=True,
        verbose_name=_("groups"),
        help_text=_("Only members of these groups. Empty: everyone."),
    )
    primary_metric = models.CharField(_("primary metric"), max_length=20, choices=Metric.choices)
    guardrail_metrics = models.JSONField(
        _("guardrail metrics"),
        default=list,
        blank=True,
        help_text=_("Metrics that must not get significantly worse."),
    )
    hash_seed = models.CharField(
        _("hashing seed"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the key. Change it only to reshuffle customers for a new run."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=["target_regions", "target_groups"])

    class Meta:
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    def save(self, *args, **kwargs) -> None:
        if not self.hash_seed:
            self.hash_seed = self.key
        super().save(*args, **kwargs)


class Variant(models.Model):
    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="variants", verbose_name=_("experiment")
    )
    key = models.SlugField(_("key"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(
        _("weight"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Share of the experiment's customers; the weights add up to 1."),
    )
    value = models.JSONField(
        _("value"), help_text=_('What the code gets in this variant, e.g. "kwh" (JSON).')
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("The first variant is the control.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["experiment", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "key"], name="variant_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment.key}: {self.key}"


class Exposure(models.Model):
    """A customer's first evaluation in an experiment: their variant and when (once each)."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="exposures", verbose_name=_("experiment")
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="exposures", verbose_name=_("variant")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("customer")
    )
    exposed_at = models.DateTimeField(_("exposed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exposure")
        verbose_name_plural = _("exposures")
        constraints = [
            models.UniqueConstraint(fields=["experiment", "user"], name="exposure_once_per_unit"),
        ]
        indexes = [models.Index(fields=["experiment", "variant"], name="exposure_by_variant")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.variant_id}"


class ExperimentResult(models.Model):
    """One computation of an experiment's results (the latest is shown)."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="results", verbose_name=_("experiment")
    )
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    srm_p_value = models.FloatField(_("SRM p-value"), null=True, blank=True)
    srm_flagged = models.BooleanField(_("sample ratio mismatch"), default=False)
    data = models.JSONField(_("results"), default=dict)

    class Meta:
        verbose_name = _("experiment result")
        verbose_name_plural = _("experiment results")
        ordering = ["-computed_at"]
        get_latest_by = "computed_at"

    def __str__(self) -> str:
        return f"{self.experiment_id} @ {self.computed_at:%Y-%m-%d %H:%M}"


class PortalVisit(models.Model):
    """A customer opened the portal on a day (one row per customer and day): a metric."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("portal visit")
        verbose_name_plural = _("portal visits")
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="portal_visit_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}"
