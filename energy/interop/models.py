"""What interop remembers between deliveries: which meter each Green Button usage point feeds,
and the last cumulative register of each Route B meter.

The tables keep the names they had in the energy app (``energy_…``): the models moved, the data
did not (migrations/0001_initial.py).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Staff assign usage points to meters in the admin: every change is kept with who, when, before
# and after, and can be restored (core/history.py).
from simple_history.models import HistoricalRecords

from energy.models import Commodity, IngestBatch, Meter


class GreenButtonUsagePoint(models.Model):
    """A UsagePoint seen in (or expected from) Green Button files, and the meter it feeds.

    Files name their usage points, not our meters. A usage point nobody has assigned yet is
    registered with no meter: its readings are rejected as ``unmapped_usage_point`` but stay in
    the stored files, and are ingested once staff choose the meter and re-ingest (admin action).
    """

    identifier = models.CharField(
        _("usage point identifier"),
        max_length=500,
        unique=True,
        help_text=_(
            "The UsagePoint entry's self link (href) in the feed, or its id (urn:uuid:…) when "
            "it has no self link."
        ),
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    commodity = models.CharField(_("commodity"), max_length=20, choices=Commodity.choices)
    meter = models.ForeignKey(
        Meter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="greenbutton_usage_points",
        verbose_name=_("meter"),
        help_text=_("Empty: not assigned yet. Its readings wait in the stored files."),
    )
    batches = models.ManyToManyField(
        IngestBatch,
        blank=True,
        related_name="greenbutton_usage_points",
        verbose_name=_("files"),
        help_text=_("The ingest batches (files) that held this usage point."),
    )
    first_seen_at = models.DateTimeField(_("first seen at"), auto_now_add=True)
    history = HistoricalRecords(table_name="energy_historicalgreenbuttonusagepoint")

    class Meta:
        db_table = "energy_greenbuttonusagepoint"
        verbose_name = _("Green Button usage point")
        verbose_name_plural = _("Green Button usage points")
        ordering = ["identifier"]

    def __str__(self) -> str:
        return self.title or self.identifier

    def clean(self) -> None:
        if self.meter_id and self.meter.commodity != self.commodity:
            raise ValidationError(
                {
                    "meter": ValidationError(
                        _("This usage point is %(commodity)s; choose a meter of the same kind."),
                        params={"commodity": self.get_commodity_display()},
                    )
                }
            )


class MeterRegister(models.Model):
    """The latest cumulative register delivered for a meter (ECHONET Lite 0xEA), with the
    settings it was read with, so the next delivery's first interval can be differenced."""

    meter = models.OneToOneField(
        Meter,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="register",
        verbose_name=_("meter"),
    )
    ts = models.DateTimeField(_("register time"))
    value = models.PositiveBigIntegerField(_("register value"))
    coefficient = models.PositiveIntegerField(_("coefficient"))
    unit_code = models.PositiveSmallIntegerField(_("unit code"))
    digits = models.PositiveSmallIntegerField(_("effective digits"))
    batch = models.ForeignKey(
        IngestBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ingest batch"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "energy_meterregister"
        verbose_name = _("meter register")
        verbose_name_plural = _("meter registers")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.ts.isoformat()} {self.value}"
