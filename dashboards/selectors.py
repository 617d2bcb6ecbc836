from dataclasses import dataclass

from energy.models import DailyUsage, IngestBatch, Meter, Premise


@dataclass(frozen=True)
class SiteSummary:
    premises: int
    meters: int
    days_rolled_up: int
    batches: int


def site_summary() -> SiteSummary:
    return SiteSummary(
        premises=Premise.objects.count(),
        meters=Meter.objects.count(),
        days_rolled_up=DailyUsage.objects.count(),
        batches=IngestBatch.objects.count(),
    )
