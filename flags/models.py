"""Shoene's waffle flag model (``WAFFLE_FLAG_MODEL = "flags.Flag"``), the history of staff
changes to flags and switches, and flag changes scheduled for later.

Flag exists from the first migration so that percentage rollouts can later be made sticky per
user (hashing flag name and user id) without swapping the model under live data.

History (django-simple-history): every model staff edit gets ``history = HistoricalRecords()``
(or, for a model of another package, ``simple_history.register(Model, app="flags")`` below, so
its history table is ours and its migration lives in flags/migrations), an admin based on
``flags.history_admin.StaffHistoryAdmin``, and a line in ``energy.access.STAFF_EDITS``. An
Experiment or Variant model follows the same three steps.
"""

import simple_history
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from waffle.models import AbstractUserFlag, Switch


class Flag(AbstractUserFlag):
    # Groups and users decide who sees the flag, so they are part of each version (and of a
    # restore); simple-history keeps their rows per version in tables of their own.
    history = HistoricalRecords(m2m_fields=["groups", "users"])

    class Meta(AbstractUserFlag.Meta):
        verbose_name = _("flag")
        verbose_name_plural = _("flags")


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
