from django.db import models
from django.utils.translation import gettext_lazy as _


class BillingSource(models.TextChoices):
    CSV = "csv", _("Bill file (CSV)")
    GREENBUTTON = "greenbutton", _("Green Button file")
    API = "api", _("API")


class BillingPeriod(models.Model):
    """A meter's use over whole local days between two readings: a bill, or one day of a
    daily-binned Green Button feed (a one-day period).

    ``start`` and ``end`` are the first and the last day covered, both included. Periods of one
    meter never share a day (checked on import, under a lock on the meter).
    """

    meter = models.ForeignKey(
        "energy.Meter",
        on_delete=models.CASCADE,
        related_name="billing_periods",
        verbose_name=_("meter"),
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"), help_text=_("The last day the period covers."))
    usage = models.FloatField(_("usage"), help_text=_("kWh for electricity, m³ for gas."))
    cost_jpy = models.FloatField(_("cost (yen)"), null=True, blank=True)
    estimated = models.BooleanField(
        _("estimated"), default=False, help_text=_("The bill was based on an estimated reading.")
    )
    source = models.CharField(_("source"), max_length=16, choices=BillingSource.choices)
    batch = models.ForeignKey(
        "energy.IngestBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ingest batch"),
        help_text=_("The Green Button file the period came from."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("billing period")
        verbose_name_plural = _("billing periods")
        ordering = ["meter", "start"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "start"], name="billing_period_meter_start"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")),
                name="billing_period_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(usage__gte=0), name="billing_period_usage_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(cost_jpy__isnull=True) | models.Q(cost_jpy__gte=0),
                name="billing_period_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1
