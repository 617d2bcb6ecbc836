"""Who takes part in a campaign or an event: (premise, meter, owner) triples."""

from dataclasses import dataclass

from energy.models import Meter


@dataclass(frozen=True)
class Participant:
    user_id: int
    premise_id: int
    meter_id: int
    time_zone: str
    interval_minutes: int


def participants(*, campaign, user_id: int | None = None) -> list[Participant]:
    """Owners' meters of the campaign's commodity, filtered by its regions, groups and
    experiment variant (every condition given must hold); only one customer's with
    ``user_id``."""
    meters = Meter.objects.filter(commodity=campaign.commodity).select_related("premise__region")
    if user_id is not None:
        meters = meters.filter(premise__owner_id=user_id)
    if campaign.pk and campaign.regions.exists():
        meters = meters.filter(premise__region__in=campaign.regions.all())
    if campaign.pk and campaign.groups.exists():
        meters = meters.filter(premise__owner__groups__in=campaign.groups.all())
    if campaign.experiment_id:
        from flags.selectors import exposed_user_ids

        exposed = exposed_user_ids(
            experiment_id=campaign.experiment_id, variant_key=campaign.experiment_variant
        )
        meters = meters.filter(premise__owner_id__in=exposed)
    return [
        Participant(
            user_id=meter.premise.owner_id,
            premise_id=meter.premise_id,
            meter_id=meter.pk,
            time_zone=meter.premise.region.time_zone,
            interval_minutes=meter.interval_minutes,
        )
        for meter in meters.distinct().order_by("pk")
    ]
