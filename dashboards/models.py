"""The staff overview's pre-computed aggregates (dashboards/overview.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OverviewSnapshot(models.Model):
    """One computation of the BizDevOps overview's figures, as plain JSON.

    Recomputed every minute by Celery beat; the page reads the latest row (one query) instead
    of aggregating ingest batches, recommendations and readings per request.
    """

    computed_at = models.DateTimeField(_("computed at"), db_index=True)
    compute_ms = models.FloatField(_("computation time (ms)"))
    data = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("overview snapshot")
        verbose_name_plural = _("overview snapshots")
        ordering = ["-computed_at"]
        get_latest_by = "computed_at"

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M:%S}"
