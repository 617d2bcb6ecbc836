"""Demand-response events: points for the energy a customer saved in an event's hours.

Each participant's saving is the baseline use of the event window minus the actual use,
floored at zero. The baseline is one of (``DemandResponseEvent.baseline_method``):

- ``average_5``: the mean window use on the last 5 *similar days*;
- ``high_4_of_5``: the mean of the 4 highest of those 5 (the "high 4 of 5" customer baseline
  load, as in NYISO's and PJM's economic programmes);
- ``weather``: the savings engine's CalTRACK daily model, fitted on the 365 days before the
  event, predicts the event day's total at its mean temperature; the window's share of the
  day on the 5 similar days (their window use over their daily totals) turns that into a
  window baseline.

Similar days are local days before the event, within ``SIMILAR_DAYS_LOOKBACK`` days, of the
same kind (working day, or weekend / Japanese national holiday), not the day of another
demand-response event of the same commodity (announced or finished, not cancelled), and with
every interval of the window present. Fewer than ``SIMILAR_DAYS`` such days: no award.

Awards go through the append-only ledger (``points_award``) under
``event:<event>:<user>:<premise>``, so recomputing (hourly, for ``RECOMPUTE_DAYS`` after the
event) appends only differences: late or corrected readings become correction lines, and
retries award nothing twice. A window whose readings are not all in yet is left alone until
they are.
"""

import logging
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import jpholiday
import numpy as np
from django.db.models import Count, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from energy.campaigns.eligibility import Participant, participants
from energy.campaigns.ledger import points_award
from energy.campaigns.models import BaselineMethod, CampaignStatus, DemandResponseEvent
from energy.models import Meter, Reading, Unit
from energy.savings.caltrack import BASELINE_DAYS, DataInsufficient, baseline_fit
from energy.savings.services import meter_daily_series

logger = logging.getLogger(__name__)

SIMILAR_DAYS = 5
# Look back this far for similar days: 5 working days are found within two weeks, 5 weekend
# days or holidays within three; 45 days leaves room for other events and missing data.
SIMILAR_DAYS_LOOKBACK = 45
HIGH_OF = 4  # "high 4 of 5"
# Recompute awards for this many days after an event: late readings within the ingest lag
# (gateways resend missed days for about a week) are still counted, then the award is final.
RECOMPUTE_DAYS = 14
# Use is compared at 1 Wh (or 1 L of gas) so that the ledger's basis reproduces the points.
USE_QUANTUM = Decimal("0.001")
RULE = "points = floor(max(baseline - actual, 0) * points_per_unit), use rounded to 0.001"
# Only events customers were told about count: as an event to award, and as a day that is not
# a normal day for the baseline.
ACTIVE_STATUSES = (CampaignStatus.ANNOUNCED, CampaignStatus.FINISHED)


# --- Calendar and windows -----------------------------------------------------------------


def day_is_off(day: date) -> bool:
    """Weekend or Japanese national holiday (including substitute holidays), via jpholiday."""
    return day.weekday() >= 5 or jpholiday.is_holiday(day)


def window_utc(*, day: date, start_hour: int, end_hour: int, time_zone: str):
    """The local window [start_hour, end_hour) of ``day`` as a UTC (start, end) pair."""
    tz = zoneinfo.ZoneInfo(time_zone)
    start = datetime.combine(day, time(start_hour), tzinfo=tz)
    end = (
        datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
        if end_hour == 24
        else datetime.combine(day, time(end_hour), tzinfo=tz)
    )
    return start.astimezone(UTC), end.astimezone(UTC)


def _intervals_expected(*, start: datetime, end: datetime, interval_minutes: int) -> int:
    return int((end - start).total_seconds() // 60 // interval_minutes)


def event_window_use(
    *,
    meter_id: int,
    day: date,
    start_hour: int,
    end_hour: int,
    time_zone: str,
    interval_minutes: int,
) -> tuple[float, int, int]:
    """(use, intervals present, intervals expected) of a meter in a local window of a day."""
    start, end = window_utc(day=day, start_hour=start_hour, end_hour=end_hour, time_zone=time_zone)
    totals = Reading.objects.filter(meter_id=meter_id, ts__gte=start, ts__lt=end).aggregate(
        use=Sum("value"), present=Count("ts")
    )
    expected = _intervals_expected(start=start, end=end, interval_minutes=interval_minutes)
    return float(totals["use"] or 0.0), totals["present"], expected


def window_use_by_day(
    *,
    meter_id: int,
    first_day: date,
    last_day: date,
    start_hour: int,
    end_hour: int,
    time_zone: str,
    interval_minutes: int,
) -> dict[date, tuple[float, int, int]]:
    """{local day: (use, present, expected)} of the window on each day with readings in it,
    first_day to last_day inclusive, in one query."""
    tz = zoneinfo.ZoneInfo(time_zone)
    start = datetime.combine(first_day, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    rows = (
        Reading.objects.filter(meter_id=meter_id, ts__gte=start, ts__lt=end)
        .annotate(hour=ExtractHour("ts", tzinfo=tz), day=TruncDate("ts", tzinfo=tz))
        .filter(hour__gte=start_hour, hour__lt=end_hour)
        .values("day")
        .annotate(use=Sum("value"), present=Count("ts"))
        .values_list("day", "use", "present")
    )
    uses = {}
    for day, use, present in rows:
        window_start, window_end = window_utc(
            day=day, start_hour=start_hour, end_hour=end_hour, time_zone=time_zone
        )
        expected = _intervals_expected(
            start=window_start, end=window_end, interval_minutes=interval_minutes
        )
        uses[day] = (float(use), present, expected)
    return uses


# --- Baselines (pure) -----------------------------------------------------------------------


def similar_days_select(
    *,
    event_date: date,
    window_uses: dict[date, tuple[float, int, int]],
    excluded: set[date],
    count: int = SIMILAR_DAYS,
    lookback_days: int = SIMILAR_DAYS_LOOKBACK,
) -> list[date]:
    """The last ``count`` (or fewer) days before the event of the same kind, not excluded,
    with a complete window, newest first."""
    kind = day_is_off(event_date)
    chosen = []
    for offset in range(1, lookback_days + 1):
        day = event_date - timedelta(days=offset)
        if day in excluded or day_is_off(day) != kind or day not in window_uses:
            continue
        _, present, expected = window_uses[day]
        if present < expected:
            continue
        chosen.append(day)
        if len(chosen) == count:
            break
    return chosen


def baseline_average(uses: list[float]) -> float:
    return float(np.mean(uses))


def baseline_high_of(uses: list[float], high: int = HIGH_OF) -> float:
    """The mean of the ``high`` largest uses ("high 4 of 5")."""
    return float(np.mean(sorted(uses, reverse=True)[:high]))


def window_share(*, window_uses: list[float], day_totals: list[float]) -> float:
    """The window's share of the day's use, pooled over days (sum over sum)."""
    return float(np.sum(window_uses) / np.sum(day_totals))


def points_for(*, baseline: float, actual: float, points_per_unit: Decimal) -> dict:
    """Saving and points from baseline and actual use; the numbers the ledger records."""
    baseline_q = _quantised(baseline)
    actual_q = _quantised(actual)
    saving = max(baseline_q - actual_q, Decimal(0))
    points = int((saving * Decimal(points_per_unit)).to_integral_value(rounding=ROUND_FLOOR))
    return {
        "baseline": float(baseline_q),
        "actual": float(actual_q),
        "saving": float(saving),
        "points": points,
    }


def _quantised(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(USE_QUANTUM, rounding=ROUND_HALF_UP)


# --- Computing an event's awards --------------------------------------------------------------


class BaselineUnavailable(Exception):
    """No baseline for this participant; ``reasons`` says why (no points are invented)."""

    def __init__(self, reasons: list[str], basis: dict | None = None) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.basis = basis or {}


@dataclass(frozen=True)
class AwardOutcome:
    """What happened for one participant: ``status`` is awarded, corrected, unchanged
    (the ledger already holds these points), incomplete (readings of the window still
    missing: recomputed later), no_baseline (0 points, ``basis["reasons"]``) or not_ended."""

    user_id: int
    premise_id: int
    meter_id: int
    status: str
    points: int | None = None
    basis: dict = field(default_factory=dict)


@dataclass
class DemandResponseSummary:
    event_id: int
    status: str  # computed | cancelled | not_announced
    outcomes: list[AwardOutcome] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "event": self.event_id,
            "status": self.status,
            "participants": len(self.outcomes),
            **Counter(outcome.status for outcome in self.outcomes),
        }


def event_is_cancelled(event: DemandResponseEvent) -> bool:
    return event.cancelled_at is not None or event.status == CampaignStatus.CANCELLED


def event_days_excluded(*, event: DemandResponseEvent, since: date) -> set[date]:
    """Days of the other active events of the event's commodity from ``since`` to the event."""
    return set(
        DemandResponseEvent.objects.filter(
            commodity=event.commodity,
            status__in=ACTIVE_STATUSES,
            cancelled_at__isnull=True,
            event_date__gte=since,
            event_date__lt=event.event_date,
        )
        .exclude(pk=event.pk)
        .values_list("event_date", flat=True)
    )


def event_awards_compute(
    *, event: DemandResponseEvent, now: datetime | None = None
) -> DemandResponseSummary:
    """Award (or correct) each participant's points for the event; idempotent."""
    if event_is_cancelled(event):
        return DemandResponseSummary(event_id=event.pk, status="cancelled")
    if event.status not in ACTIVE_STATUSES:
        return DemandResponseSummary(event_id=event.pk, status="not_announced")
    now = now or timezone.now()
    lookback = BASELINE_DAYS if event.baseline_method == BaselineMethod.WEATHER else 0
    excluded = event_days_excluded(
        event=event,
        since=event.event_date - timedelta(days=max(SIMILAR_DAYS_LOOKBACK, lookback)),
    )
    summary = DemandResponseSummary(event_id=event.pk, status="computed")
    for participant in participants(campaign=event):
        summary.outcomes.append(
            _participant_award(event=event, participant=participant, excluded=excluded, now=now)
        )
    logger.info("demand-response awards: %s", summary.as_dict())
    return summary


def _participant_award(
    *, event: DemandResponseEvent, participant: Participant, excluded: set[date], now: datetime
) -> AwardOutcome:
    who = {
        "user_id": participant.user_id,
        "premise_id": participant.premise_id,
        "meter_id": participant.meter_id,
    }
    window = {
        "day": event.event_date,
        "start_hour": event.start_hour,
        "end_hour": event.end_hour,
        "time_zone": participant.time_zone,
    }
    _, window_end = window_utc(**window)
    if now < window_end:
        return AwardOutcome(**who, status="not_ended")
    actual, present, expected = event_window_use(
        meter_id=participant.meter_id, interval_minutes=participant.interval_minutes, **window
    )
    if present < expected:
        # Wait for the late readings; the periodic recomputation awards once they are in.
        return AwardOutcome(
            **who, status="incomplete", basis={"intervals": present, "expected": expected}
        )
    unit = str(Unit.of(event.commodity))
    basis = {
        "rule": RULE,
        "method": event.baseline_method,
        "event": event.pk,
        "window": {
            "date": event.event_date.isoformat(),
            "start_hour": event.start_hour,
            "end_hour": event.end_hour,
            "time_zone": participant.time_zone,
        },
        "unit": unit,
        "points_per_unit": float(event.points_per_kwh),
    }
    try:
        baseline, baseline_basis = _baseline(
            event=event, participant=participant, excluded=excluded
        )
    except BaselineUnavailable as exc:
        # No baseline, no points: nothing is written unless points are held for the event
        # (then a correction to zero, with the reasons).
        basis = {
            **basis,
            **exc.basis,
            "actual": float(_quantised(actual)),
            "reason": "; ".join(exc.reasons),
            "reasons": exc.reasons,
        }
        _award(event=event, participant=participant, points=0, basis=basis)
        return AwardOutcome(**who, status="no_baseline", points=0, basis=basis)
    numbers = points_for(baseline=baseline, actual=actual, points_per_unit=event.points_per_kwh)
    basis = {**basis, **baseline_basis, **{k: v for k, v in numbers.items() if k != "points"}}
    entry = _award(event=event, participant=participant, points=numbers["points"], basis=basis)
    status = "unchanged" if entry is None else ("awarded" if entry.kind == "award" else "corrected")
    return AwardOutcome(**who, status=status, points=numbers["points"], basis=basis)


def _award(*, event: DemandResponseEvent, participant: Participant, points: int, basis: dict):
    return points_award(
        user_id=participant.user_id,
        premise_id=participant.premise_id,
        award_key=f"event:{event.pk}:{participant.premise_id}",
        points=points,
        basis=basis,
        event_id=event.pk,
    )


def _baseline(
    *, event: DemandResponseEvent, participant: Participant, excluded: set[date]
) -> tuple[float, dict]:
    """(baseline window use, its basis) for the event's method; raises BaselineUnavailable."""
    window_uses = window_use_by_day(
        meter_id=participant.meter_id,
        first_day=event.event_date - timedelta(days=SIMILAR_DAYS_LOOKBACK),
        last_day=event.event_date - timedelta(days=1),
        start_hour=event.start_hour,
        end_hour=event.end_hour,
        time_zone=participant.time_zone,
        interval_minutes=participant.interval_minutes,
    )
    days = similar_days_select(
        event_date=event.event_date, window_uses=window_uses, excluded=excluded
    )
    uses = [window_uses[day][0] for day in days]
    basis = {
        "similar_days": [day.isoformat() for day in days],
        "similar_day_use": [round(use, 3) for use in uses],
    }
    if len(days) < SIMILAR_DAYS:
        raise BaselineUnavailable(
            [
                f"{len(days)} similar days with complete data in the {SIMILAR_DAYS_LOOKBACK} "
                f"days before the event; {SIMILAR_DAYS} are needed"
            ],
            basis,
        )
    if event.baseline_method == BaselineMethod.AVERAGE_5:
        return baseline_average(uses), basis
    if event.baseline_method == BaselineMethod.HIGH_4_OF_5:
        return baseline_high_of(uses), basis
    return _weather_baseline(
        event=event, participant=participant, excluded=excluded, days=days, uses=uses, basis=basis
    )


def _weather_baseline(
    *,
    event: DemandResponseEvent,
    participant: Participant,
    excluded: set[date],
    days: list[date],
    uses: list[float],
    basis: dict,
) -> tuple[float, dict]:
    """CalTRACK day prediction at the event day's temperature times the similar days'
    window share of their daily use."""
    meter = Meter.objects.select_related("premise__region").get(pk=participant.meter_id)
    dates, usage, temperature_c = meter_daily_series(
        meter=meter,
        start=event.event_date - timedelta(days=BASELINE_DAYS),
        end=event.event_date,
    )
    days_listed = dates.astype(date).tolist()
    index = {day: i for i, day in enumerate(days_listed)}
    fit_usage = usage[:-1].copy()
    for day in excluded:
        if day in index:
            fit_usage[index[day]] = np.nan  # an event day is not a normal day for the model
    try:
        model = baseline_fit(
            temperature_c=temperature_c[:-1], usage=fit_usage, commodity=event.commodity
        )
    except DataInsufficient as exc:
        raise BaselineUnavailable(exc.reasons, basis) from exc
    event_temperature_c = float(temperature_c[-1])
    if not np.isfinite(event_temperature_c):
        raise BaselineUnavailable(
            [f"no mean temperature for {event.event_date} in the premise's region yet"], basis
        )
    day_totals = [float(usage[index[day]]) for day in days]
    if not all(np.isfinite(day_totals)) or sum(day_totals) <= 0:
        raise BaselineUnavailable(["the similar days have no daily totals yet"], basis)
    share = window_share(window_uses=uses, day_totals=day_totals)
    predicted_day = float(model.predict(np.array([event_temperature_c]))[0])
    model_basis = {
        key: value
        for key, value in model.as_dict().items()
        if key
        in (
            "kind",
            "intercept",
            "beta_hdd",
            "beta_cdd",
            "heating_balance_c",
            "cooling_balance_c",
            "r_squared",
            "cvrmse",
            "n_days",
        )
    }
    return predicted_day * share, {
        **basis,
        "similar_day_totals": [round(total, 3) for total in day_totals],
        "window_share": round(share, 6),
        "temperature_c": event_temperature_c,
        "predicted_day_use": round(predicted_day, 3),
        "model": model_basis,
    }


# --- Scheduling ------------------------------------------------------------------------------


def events_to_recompute(*, now: datetime | None = None) -> list[int]:
    """Active events of the last ``RECOMPUTE_DAYS`` days (and today: a window may have ended)."""
    today = timezone.localdate(now or timezone.now())
    return list(
        DemandResponseEvent.objects.filter(
            status__in=ACTIVE_STATUSES,
            cancelled_at__isnull=True,
            event_date__range=(today - timedelta(days=RECOMPUTE_DAYS), today),
        )
        .order_by("event_date", "pk")
        .values_list("pk", flat=True)
    )
