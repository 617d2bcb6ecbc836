"""The readings partitions' gauges on ``/metrics``, read at scrape time (PostgreSQL only):
rows in the default partition and the months ahead that have a partition.

Registered with ``config.observability.metrics`` from ``EnergyConfig.ready()``.
"""

import logging
from collections.abc import Iterable

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from energy.partitions.services import (
    month_add,
    month_start,
    readings_default_rows,
    readings_partition_months,
    readings_partitioned,
)

logger = logging.getLogger(__name__)

# The default partition is counted up to this many rows (a few milliseconds at most per scrape);
# the gauge stays there beyond it. Anything above 0 is worth a look.
DEFAULT_ROWS_COUNTED = 100_000


def months_ahead_with_partitions(months: Iterable, *, today=None) -> int:
    """How many months after the current one have a partition, without a gap."""
    present = set(months)
    month, ahead = month_add(month_start(today or timezone.now()), 1), 0
    while month in present:
        ahead += 1
        month = month_add(month, 1)
    return ahead


class ReadingsPartitionsCollector:
    """``shoene_readings_default_partition_rows`` and ``shoene_readings_partitions_months_ahead``;
    no sample on SQLite or before the partitions' migration."""

    def collect(self) -> Iterable[Metric]:
        rows = GaugeMetricFamily(
            "shoene_readings_default_partition_rows",
            "Readings in the default partition of energy_reading (their month has no "
            f"partition), counted up to {DEFAULT_ROWS_COUNTED:,}.",
        )
        ahead = GaugeMetricFamily(
            "shoene_readings_partitions_months_ahead",
            "Months after the current one (UTC) that have a readings partition, without a gap; "
            "0: next month's readings would land in the default partition.",
        )
        try:
            if readings_partitioned():
                rows.add_metric([], readings_default_rows(limit=DEFAULT_ROWS_COUNTED))
                ahead.add_metric([], months_ahead_with_partitions(readings_partition_months()))
        except Exception:
            logger.warning("Could not read the readings partitions", exc_info=True)
        yield rows
        yield ahead


READINGS_PARTITIONS = ReadingsPartitionsCollector()
