"""Year-on-year saving points: a month qualifies when its use is at least N % below the same
calendar month a year earlier (or, weather-normalised, below what last year's behaviour would
have used in this year's weather), up to a cap of points per customer.

A month is judged only once it is over and every day of it (and of last year's month) has a
complete rollup; until then nothing is awarded for it. The daily task recomputes recent months,
so late readings change an award through the ledger (a correction line), never twice.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from energy.campaigns.eligibility import Participant, participants
from energy.campaigns.ledger import points_award
from energy.campaigns.models import CampaignStatus, YearOnYearCampaign
from energy.models import DailyUsage, Meter
from energy.savings.caltrack import DataInsufficient, baseline_fit
from energy.savings.services import meter_daily_series

# Readings of a day may arrive this long after it; a month is judged after its end plus this.
INGEST_LAG_DAYS = 2
# Late readings settle within weeks; 60 days after a campaign's final month its awards are
# final and no longer recomputed.
SETTLED_AFTER_DAYS = 60


@dataclass(frozen=True)
class MonthJudgement:
    month: date
    qualifies: bool
    basis: dict


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _year_before(month: date) -> date:
    return month.replace(year=month.year - 1)


def campaign_months(*, campaign: YearOnYearCampaign, today: date) -> list[date]:
    """The campaign's months that are over, ingest lag included."""
    months, month = [], _month_start(campaign.period_start)
    last = _month_start(campaign.period_end)
    while month <= last:
        if _month_end(month) + timedelta(days=INGEST_LAG_DAYS) < today:
            months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _month_total(meter_id: int, month: date) -> float | None:
    """The month's use from complete days only; None unless every day is complete."""
    end = _month_end(month)
    month_days = DailyUsage.objects.filter(meter_id=meter_id, date__range=(month, end))
    totals = list(month_days.complete().values_list("total", flat=True))
    if len(totals) < end.day:
        return None
    return float(sum(totals))


def _reference_model(meter_id: int, fit_end: date):
    """(meter, the CalTRACK model of the 365 days before ``fit_end``, or DataInsufficient)."""
    meter = Meter.objects.select_related("premise__region").get(pk=meter_id)
    _dates, usage, temperature_c = meter_daily_series(
        meter=meter, start=fit_end - timedelta(days=365), end=fit_end - timedelta(days=1)
    )
    try:
        return meter, baseline_fit(
            usage=usage, temperature_c=temperature_c, commodity=meter.commodity
        )
    except DataInsufficient as error:
        return meter, error


def month_judge(
    *,
    participant: Participant,
    month: date,
    min_saving_percent: float,
    weather_normalised: bool,
    campaign_start: date | None = None,
    models: dict | None = None,
) -> MonthJudgement:
    actual = _month_total(participant.meter_id, month)
    basis: dict = {
        "month": month.strftime("%Y-%m"),
        "rule": f"use at least {min_saving_percent:g} % below the same month last year",
        "weather_normalised": weather_normalised,
        "this_month_use": actual,
    }
    if actual is None:
        return MonthJudgement(month, False, {**basis, "reason": "this month's data incomplete"})
    if weather_normalised:
        # Last year's behaviour: the customer's CalTRACK model on the 365 days before the
        # campaign began (never on campaign months, when they were already saving), predicted
        # at this month's temperatures. One fit per meter and campaign (``models``).
        fit_end = _month_start(campaign_start or month)
        models = {} if models is None else models
        key = (participant.meter_id, fit_end)
        if key not in models:
            models[key] = _reference_model(participant.meter_id, fit_end)
        meter, model = models[key]
        if isinstance(model, DataInsufficient):
            return MonthJudgement(month, False, {**basis, "reason": "; ".join(model.reasons)})
        _dates, _usage, month_temps = meter_daily_series(
            meter=meter, start=month, end=_month_end(month)
        )
        if np.isnan(month_temps).any():
            return MonthJudgement(month, False, {**basis, "reason": "temperatures missing"})
        reference = float(np.sum(model.predict(month_temps)))
        basis["reference"] = "last year's model at this month's temperatures"
    else:
        reference = _month_total(participant.meter_id, _year_before(month))
        basis["reference"] = "the same month last year"
        if reference is None:
            return MonthJudgement(
                month, False, {**basis, "reason": "last year's month data incomplete"}
            )
    basis["reference_use"] = reference
    if reference <= 0:
        return MonthJudgement(month, False, {**basis, "reason": "no use to compare with"})
    saving_percent = 100.0 * (reference - actual) / reference
    basis["saving_percent"] = round(saving_percent, 2)
    basis["saving"] = reference - actual
    return MonthJudgement(month, saving_percent >= min_saving_percent, basis)


def yoy_awards_compute(*, campaign: YearOnYearCampaign, today: date | None = None) -> dict:
    """Award (or correct) every judged month of the campaign; return counts."""
    today = today or timezone.localdate()
    summary = {"participants": 0, "months": 0, "qualifying": 0, "points": 0, "waiting": 0}
    if campaign.status != CampaignStatus.ANNOUNCED and campaign.status != CampaignStatus.FINISHED:
        return summary
    months = campaign_months(campaign=campaign, today=today)
    people = participants(campaign=campaign)
    summary["participants"] = len(people)
    given_by_user: dict[int, int] = {}
    models: dict = {}  # weather models, fitted once per meter for the whole campaign
    for month in months:
        for participant in people:
            judgement = month_judge(
                participant=participant,
                month=month,
                min_saving_percent=float(campaign.min_saving_percent),
                weather_normalised=campaign.weather_normalised,
                campaign_start=campaign.period_start,
                models=models,
            )
            summary["months"] += 1
            if judgement.basis.get("reason", "").endswith("incomplete"):
                summary["waiting"] += 1
                continue  # judged later, once the data are in
            already = given_by_user.get(participant.user_id, 0)
            points = 0
            if judgement.qualifies:
                points = max(0, min(campaign.points_per_month, campaign.cap_points - already))
                summary["qualifying"] += 1
            given_by_user[participant.user_id] = already + points
            summary["points"] += points
            points_award(
                user_id=participant.user_id,
                premise_id=participant.premise_id,
                # By premise, not by customer: a home changing hands is not paid twice.
                award_key=f"yoy:{campaign.pk}:{participant.premise_id}:{month:%Y-%m}",
                points=points,
                basis={**judgement.basis, "cap": campaign.cap_points, "unit": campaign.commodity},
                yoy_campaign_id=campaign.pk,
            )
    return summary


def yoy_campaigns_unsettled(*, today: date) -> QuerySet[YearOnYearCampaign]:
    """Announced or finished campaigns whose awards may still change (not yet settled)."""
    return YearOnYearCampaign.objects.filter(
        status__in=[CampaignStatus.ANNOUNCED, CampaignStatus.FINISHED],
        period_end__gte=today - timedelta(days=SETTLED_AFTER_DAYS),
    )


def yoy_awards_recompute(*, today: date | None = None) -> dict[int, dict]:
    """Award (or correct) the judged months of every campaign not yet settled; counts by id."""
    today = today or timezone.localdate()
    return {
        campaign.pk: yoy_awards_compute(campaign=campaign, today=today)
        for campaign in yoy_campaigns_unsettled(today=today)
    }
