"""The dashboards app's gauge on ``/metrics``: ingest lag per region, read at scrape time.

Registered with ``config.observability.metrics`` from ``DashboardsConfig.ready()``; it reads the
overview's latest aggregates (recomputed every minute), so every web replica reports the same.
"""

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from dashboards.overview import ingest_lag_seconds

logger = logging.getLogger(__name__)


class IngestLagCollector:
    """``shoene_ingest_lag_seconds``: now minus the newest reading of the region's meters."""

    def collect(self) -> Iterable[Metric]:
        lag = GaugeMetricFamily(
            "shoene_ingest_lag_seconds",
            "Now minus the newest reading of the region's meters (from the overview's "
            "aggregates, recomputed every minute).",
            labels=["region"],
        )
        try:
            for region, seconds in sorted(ingest_lag_seconds().items()):
                lag.add_metric([region], seconds)
        except Exception:
            logger.warning("Could not read the ingest lag", exc_info=True)
        yield lag


INGEST_LAG = IngestLagCollector()
