"""A year-on-year campaign's state changes (energy/campaigns/services.py), directly and from the
admin's actions."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from config.errors import Conflict
from energy.access import BUSINESS_STAFF
from energy.campaigns.models import CampaignStatus, YearOnYearCampaign
from energy.campaigns.services import campaign_announce, campaign_finish
from tests import factories

pytestmark = pytest.mark.django_db


def campaign_create(*, status: str = "draft", title: str = "Save 3 %") -> YearOnYearCampaign:
    return YearOnYearCampaign.objects.create(
        title_ja=title,
        title_en=title,
        status=status,
        period_start=date(2026, 9, 1),
        period_end=date(2027, 2, 28),
        min_saving_percent=3,
        points_per_month=100,
        cap_points=250,
    )


def test_announce_a_draft_then_finish_it():
    campaign = campaign_create()
    assert campaign_announce(campaign=campaign).status == CampaignStatus.ANNOUNCED
    assert campaign_announce(campaign=campaign).status == CampaignStatus.ANNOUNCED  # again: same
    assert campaign_finish(campaign=campaign).status == CampaignStatus.FINISHED
    assert campaign_finish(campaign=campaign).status == CampaignStatus.FINISHED
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


@pytest.mark.parametrize("status", ["finished", "cancelled"])
def test_only_a_draft_is_announced(status):
    campaign = campaign_create(status=status)
    with translation.override("en"), pytest.raises(Conflict) as refused:
        campaign_announce(campaign=campaign)
    assert refused.value.code == "campaign_not_draft"
    assert refused.value.message == "Only a draft campaign can be announced."
    campaign.refresh_from_db()
    assert campaign.status == status


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_only_an_announced_campaign_is_finished(status):
    campaign = campaign_create(status=status)
    with pytest.raises(Conflict) as refused:
        campaign_finish(campaign=campaign)
    assert refused.value.code == "campaign_not_announced"
    campaign.refresh_from_db()
    assert campaign.status == status


def test_the_admin_actions_change_what_they_may_and_say_why_not_for_the_others(client):
    draft = campaign_create(title="Draft")
    finished = campaign_create(status="finished", title="Over")
    staff = factories.UserFactory(username="kaori", is_staff=True, groups=[BUSINESS_STAFF])
    client.force_login(staff)
    changelist = reverse("admin:campaigns_yearonyearcampaign_changelist")
    confirmed = {"confirm": "yes", "history_reason": "winter campaign approved"}
    response = client.post(
        changelist,
        {"action": "announce", "_selected_action": [draft.pk, finished.pk], **confirmed},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert len(shown) == 1 and shown[0].startswith("Over: ")
    assert YearOnYearCampaign.objects.get(pk=draft.pk).status == CampaignStatus.ANNOUNCED
    assert YearOnYearCampaign.objects.get(pk=finished.pk).status == CampaignStatus.FINISHED

    announced = YearOnYearCampaign.history.filter(id=draft.pk).latest()
    assert announced.status == CampaignStatus.ANNOUNCED
    assert (announced.history_user, announced.history_change_reason) == (
        staff,
        "winter campaign approved",
    )
    client.post(changelist, {"action": "finish", "_selected_action": [draft.pk], **confirmed})
    assert YearOnYearCampaign.objects.get(pk=draft.pk).status == CampaignStatus.FINISHED
