"""A year-on-year campaign's state changes: staff announce it (customers see it and its months
are judged), then finish it. Demand-response events have theirs in
``energy.campaigns.notifications`` (``event_announce``, ``event_cancel``), which email too.

Each locks the campaign's row, so two staff acting at once change it once; doing it again is
no change.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import Conflict
from energy.campaigns.models import CampaignStatus, YearOnYearCampaign


def _locked(campaign: YearOnYearCampaign) -> YearOnYearCampaign:
    return YearOnYearCampaign.objects.select_for_update().get(pk=campaign.pk)


def campaign_announce(*, campaign: YearOnYearCampaign) -> YearOnYearCampaign:
    """Announce a draft campaign: customers see it, and its months are judged from now on."""
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.status == CampaignStatus.ANNOUNCED:
            return campaign
        if campaign.status != CampaignStatus.DRAFT:
            raise Conflict(_("Only a draft campaign can be announced."), code="campaign_not_draft")
        campaign.status = CampaignStatus.ANNOUNCED
        campaign.save(update_fields=["status", "updated_at"])
    return campaign


def campaign_finish(*, campaign: YearOnYearCampaign) -> YearOnYearCampaign:
    """Finish an announced campaign (its judged months keep being corrected while they settle)."""
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.status == CampaignStatus.FINISHED:
            return campaign
        if campaign.status != CampaignStatus.ANNOUNCED:
            raise Conflict(
                _("Only an announced campaign can be finished."), code="campaign_not_announced"
            )
        campaign.status = CampaignStatus.FINISHED
        campaign.save(update_fields=["status", "updated_at"])
    return campaign
