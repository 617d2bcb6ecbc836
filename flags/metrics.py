"""The flags app's gauge on ``/metrics``: days until each flag in code expires, read at scrape
time from ``flags/registry.py``; negative once it has expired (alert rule ``FlagPastExpiry``).

Registered with ``config.observability.metrics`` from ``FlagsConfig.ready()``.
"""

from collections.abc import Iterable

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from flags.registry import FLAGS


class FlagExpiryCollector:
    """``shoene_flag_days_to_expiry{flag, owner}``: the flag's expiry date minus today (local)."""

    def collect(self) -> Iterable[Metric]:
        days = GaugeMetricFamily(
            "shoene_flag_days_to_expiry",
            "Days until the flag in code (flags/registry.py) expires; negative once expired.",
            labels=["flag", "owner"],
        )
        today = timezone.localdate()
        for spec in FLAGS:
            days.add_metric([spec.name, spec.owner], (spec.expires - today).days)
        yield days


FLAG_EXPIRY = FlagExpiryCollector()
