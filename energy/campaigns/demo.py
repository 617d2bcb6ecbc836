"""Demo campaigns: a running year-on-year campaign and a draft demand-response event."""

from datetime import date, timedelta

from energy.campaigns.models import (
    BaselineMethod,
    CampaignStatus,
    DemandResponseEvent,
    YearOnYearCampaign,
)


def campaigns_demo_seed(*, today: date) -> bool:
    """Create them unless any campaign exists; True when created."""
    if YearOnYearCampaign.objects.exists() or DemandResponseEvent.objects.exists():
        return False
    first = today.replace(day=1)
    YearOnYearCampaign.objects.create(
        title_ja="冬の前年比節電キャンペーン",
        title_en="Winter year-on-year saving",
        description_ja="前年同月より3%以上少なく使った月に100ポイント（上限500ポイント）。",
        description_en="100 points for each month you use at least 3 % less than a year ago "
        "(up to 500 points).",
        status=CampaignStatus.ANNOUNCED,
        commodity="electricity",
        period_start=first,
        period_end=(first + timedelta(days=31 * 4)).replace(day=1),
        min_saving_percent=3,
        points_per_month=100,
        cap_points=500,
    )
    DemandResponseEvent.objects.create(
        title_ja="節電のお願い（夕方）",
        title_en="Please save power this evening",
        description_ja="需給がひっ迫する見込みです。17時から20時の使用を控えてください。",
        description_en="Supply is expected to be tight: please use less from 17:00 to 20:00.",
        status=CampaignStatus.DRAFT,
        commodity="electricity",
        event_date=today + timedelta(days=2),
        start_hour=17,
        end_hour=20,
        points_per_kwh=100,
        baseline_method=BaselineMethod.HIGH_4_OF_5,
    )
    return True
