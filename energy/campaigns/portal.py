"""What the customer portal shows of campaigns: current campaigns with this month's progress,
upcoming and past events, and the points balance (plain data for dashboards)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, Sum

from energy.campaigns.eligibility import participants
from energy.campaigns.ledger import points_balance
from energy.campaigns.models import (
    CampaignStatus,
    DemandResponseEvent,
    PointsEntry,
    YearOnYearCampaign,
)
from energy.models import DailyUsage


@dataclass(frozen=True)
class CampaignProgress:
    campaign: YearOnYearCampaign
    days: int  # complete days compared this month
    this_year: float | None
    last_year: float | None
    saving_percent: float | None
    on_track: bool | None
    points_earned: int


@dataclass(frozen=True)
class EventView:
    event: DemandResponseEvent
    points: int
    saving: float | None
    baseline: float | None
    actual: float | None
    reason: str | None


@dataclass
class CustomerCampaigns:
    balance: int
    current: list[CampaignProgress] = field(default_factory=list)
    upcoming: list[DemandResponseEvent] = field(default_factory=list)
    past: list[EventView] = field(default_factory=list)


def _eligible(campaign, user_id: int) -> list:
    return participants(campaign=campaign, user_id=user_id)


def _progress(campaign, meter_ids: list[int], today: date) -> tuple:
    """This month's complete days so far against the same days a year earlier."""
    month_start = today.replace(day=1)
    last = today - timedelta(days=1)
    if last < month_start:
        return 0, None, None
    previous_start = month_start.replace(year=month_start.year - 1)
    previous_end = last.replace(year=last.year - 1)
    rows = DailyUsage.objects.filter(
        Q(date__range=(month_start, last)) | Q(date__range=(previous_start, previous_end)),
        meter_id__in=meter_ids,
    ).values_list("date", "total")
    by_day: dict[date, float] = {}
    for day, total in rows:
        by_day[day] = by_day.get(day, 0.0) + total
    days = [month_start + timedelta(days=i) for i in range((last - month_start).days + 1)]
    pairs = [
        (by_day[d], by_day[d.replace(year=d.year - 1)])
        for d in days
        if d in by_day and d.replace(year=d.year - 1) in by_day
    ]
    if not pairs:
        return 0, None, None
    return len(pairs), sum(a for a, _b in pairs), sum(b for _a, b in pairs)


def customer_campaigns(*, user, today: date) -> CustomerCampaigns:
    result = CustomerCampaigns(balance=points_balance(user_id=user.pk))
    running = YearOnYearCampaign.objects.filter(
        status=CampaignStatus.ANNOUNCED,
        period_start__lte=today,
        period_end__gte=today.replace(day=1),
    )
    for campaign in running:
        mine = _eligible(campaign, user.pk)
        if not mine:
            continue
        days, this_year, last_year = _progress(campaign, [p.meter_id for p in mine], today)
        saving = None
        if this_year is not None and last_year:
            saving = 100.0 * (last_year - this_year) / last_year
        earned = (
            PointsEntry.objects.filter(yoy_campaign=campaign, user=user).aggregate(
                total=Sum("points")
            )["total"]
            or 0
        )
        result.current.append(
            CampaignProgress(
                campaign=campaign,
                days=days,
                this_year=this_year,
                last_year=last_year,
                saving_percent=saving,
                on_track=None if saving is None else saving >= float(campaign.min_saving_percent),
                points_earned=earned,
            )
        )
    events = DemandResponseEvent.objects.filter(
        status__in=[CampaignStatus.ANNOUNCED, CampaignStatus.FINISHED]
    ).order_by("event_date", "start_hour")
    # Past events the customer holds points for stay listed even if they are no longer
    # eligible (a group left, a home sold): the balance must add up to what is shown.
    lines_by_event: dict[int, list[dict]] = {}
    for line in (
        PointsEntry.objects.filter(user=user, event__isnull=False)
        .order_by("pk")
        .values("event_id", "points", "basis")
    ):
        lines_by_event.setdefault(line["event_id"], []).append(line)
    for event in events:
        upcoming = event.event_date >= today and event.cancelled_at is None
        if event.pk not in lines_by_event and not _eligible(event, user.pk):
            continue
        if upcoming:
            result.upcoming.append(event)
            continue
        lines = lines_by_event.get(event.pk, [])
        basis = lines[-1]["basis"] if lines else {}
        result.past.append(
            EventView(
                event=event,
                points=sum(line["points"] for line in lines),
                saving=basis.get("saving"),
                baseline=basis.get("baseline"),
                actual=basis.get("actual"),
                reason=basis.get("reason"),
            )
        )
    result.past.reverse()
    return result
