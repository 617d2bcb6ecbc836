"""Green Button files into the ingest pipeline, and meters out as Green Button feeds."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone, translation

from config.errors import ValidationFailed
from energy.bills.models import BillingSource
from energy.bills.parse import BillFileInvalid, PeriodRow, periods_overlap_problems
from energy.bills.services import billing_periods_import
from energy.ingest.parse import FormatRows, RawRow
from energy.ingest.services import batch_replay
from energy.ingest.validate import SOURCE_CLOCK_AHEAD_S, Reason
from energy.interop.greenbutton.espi import (
    LATEST_START,
    ExportReading,
    IntervalValue,
    UsagePointData,
    feed_read,
    feed_write,
)
from energy.interop.greenbutton.selectors import meter_readings_between
from energy.interop.models import GreenButtonUsagePoint
from energy.models import IngestBatch, Meter

EXPORT_MAX_DAYS = 366


def usage_points_register(
    *, points: list[UsagePointData], batch: IngestBatch
) -> dict[str, GreenButtonUsagePoint]:
    """The mapping row of each usage point in a file (new ones registered with no meter).

    Staff may have entered a usage point by its self href or by its id (urn:uuid): both match.
    """
    found = {}
    for point in points:
        names = [point.identifier] + ([point.entry_id] if point.entry_id else [])
        known = sorted(
            GreenButtonUsagePoint.objects.select_related("meter").filter(identifier__in=names),
            key=lambda row: names.index(row.identifier),
        )
        if known:
            usage_point = known[0]
        else:
            usage_point, _ = GreenButtonUsagePoint.objects.select_related("meter").get_or_create(
                identifier=point.identifier,
                defaults={"title": point.title[:300], "commodity": point.commodity},
            )
        usage_point.batches.add(batch)
        found[point.identifier] = usage_point
    return found


def feed_readings_count(text: str) -> int:
    """How many readings a Green Button file holds (ingest's size check before storing it)."""
    points = feed_read(text, gas_mj_per_m3=settings.GAS_CALORIFIC_VALUE_MJ_PER_M3)
    return sum(len(point.readings) for point in points)


def greenbutton_rows(batch: IngestBatch) -> FormatRows:
    """A stored Green Button file as ingest rows, labelled with the meters' serials, and the
    notes of what was inferred or stored otherwise.

    Readings of whole local days of the meter's region (a monthly bill, a daily bin of 23, 24
    or 25 hours) that are not the meter's interval are stored as the meter's billing periods,
    in the batch's transaction, and the notes say how many; one that cannot be (it overlaps a
    stored period of another first day, or is not over yet) is a row rejected with the reason.
    Other readings that cannot go to a meter are rows with a reason, never dropped silently:
    the usage point has no meter yet, is of another commodity, or the reading's interval is not
    the meter's and is no whole number of local days.
    """
    points = feed_read(batch.payload, gas_mj_per_m3=settings.GAS_CALORIFIC_VALUE_MJ_PER_M3)
    usage_points = usage_points_register(points=points, batch=batch)
    latest = timezone.now().timestamp() + SOURCE_CLOCK_AHEAD_S
    rows = []
    notes = [note for point in points for note in point.notes]
    for point in points:
        meter = usage_points[point.identifier].meter
        periods: list[tuple[IntervalValue, PeriodRow]] = []
        for reading in point.readings:
            period = _whole_days(reading, point, meter)
            if period is not None:
                periods.append((reading, period))
            else:
                rows.append(_row(reading, point, meter, latest))
        if periods:
            refused, note = _billing_periods_store(periods, point=point, meter=meter, batch=batch)
            rows += [_refused_row(reading, meter, problem, latest) for reading, problem in refused]
            notes.append(note)
    return FormatRows(rows, notes)


def _whole_days(
    reading: IntervalValue, point: UsagePointData, meter: Meter | None
) -> PeriodRow | None:
    """The billing period a reading is, when it covers whole local days of the meter's region
    (or whole UTC days) and is not one of the meter's own intervals; otherwise None (it goes to
    ingest as a row)."""
    if (
        meter is None
        or reading.problem
        or reading.value is None
        or meter.commodity != point.commodity
        or reading.start is None
        or reading.duration is None
        or reading.duration < 82800  # a day, even one of 23 hours
    ):
        return None
    if reading.duration == meter.interval_minutes * 60 and reading.start % reading.duration == 0:
        return None  # the meter's own interval, on its grid: a reading
    # Local days of the premise; failing that UTC days, as some utilities write bill dates.
    for zone in (meter.premise.region.tzinfo, UTC):
        start = datetime.fromtimestamp(reading.start, zone)
        after = datetime.fromtimestamp(reading.start + reading.duration, zone)
        if start.time() == time(0) and after.time() == time(0):
            break
    else:
        return None
    return PeriodRow(
        line=reading.position,
        start=start.date(),
        end=after.date() - timedelta(days=1),
        usage=reading.value,
        estimated=reading.quality == "estimated",
    )


def _billing_periods_store(
    periods: list[tuple[IntervalValue, PeriodRow]],
    *,
    point: UsagePointData,
    meter: Meter,
    batch: IngestBatch,
) -> tuple[list[tuple[IntervalValue, str]], str]:
    """Store the periods (all but those refused) and say so: (refused with why, the note).

    Messages are in English, as every other rejected row's on a batch; a reading refused for
    several reasons is one row with all of them."""
    by_line = {period.line: reading for reading, period in periods}
    problems: dict[int, list[str]] = {}
    with translation.override("en"):
        candidates = sorted((period for _, period in periods), key=lambda p: p.start)
        for line, problem in periods_overlap_problems(candidates):
            problems.setdefault(line, []).append(problem)
        candidates = [p for p in candidates if p.line not in problems]
        try:
            result = billing_periods_import(
                meter=meter, periods=candidates, source=BillingSource.GREENBUTTON, batch=batch
            )
        except BillFileInvalid as error:
            for line, problem in error.problems:
                problems.setdefault(line, []).append(problem)
            candidates = [p for p in candidates if p.line not in problems]
            result = billing_periods_import(
                meter=meter, periods=candidates, source=BillingSource.GREENBUTTON, batch=batch
            )
    refused = [(by_line[line], "; ".join(texts)) for line, texts in problems.items()]
    lengths = sorted({p.days for p in candidates}) or [0]
    days = (
        ("one day" if lengths[0] == 1 else f"{lengths[0]} days")
        if len(lengths) == 1
        else f"{lengths[0]} to {lengths[-1]} days"
    )
    note = (
        f"UsagePoint {point.identifier}: {len(candidates)} readings of whole days "
        f"({days} each) were stored as billing periods of meter {meter.serial}"
        + (
            f" ({candidates[0].start} to {candidates[-1].end}; {result.created} new, "
            f"{result.updated} replaced, {result.unchanged} already stored)"
            if candidates
            else ""
        )
        + (f"; {len(refused)} could not be and are rejected" if refused else "")
    )
    return refused, note


def _refused_row(reading: IntervalValue, meter: Meter, problem: str, latest: float) -> RawRow:
    return RawRow(
        reading.position,
        meter.serial,
        datetime.fromtimestamp(reading.start, UTC).isoformat(),
        reading.value,
        reading.quality,
        problem=f"as a billing period of meter {meter.serial}: {problem}",
        reason=Reason.BILLING_PERIOD_REFUSED,
        source_time=_source_time(reading, latest),
    )


def _source_time(reading: IntervalValue, latest: float) -> str | None:
    """The file's time for a reading, when it could be when the value was produced: after the
    interval ended and not in the future. Otherwise (files carry odd <updated> times) the
    batch's time is used."""
    if reading.source_time is None or reading.start is None or reading.duration is None:
        return None
    moment = datetime.fromisoformat(reading.source_time).timestamp()
    return reading.source_time if reading.start + reading.duration <= moment <= latest else None


def _row(
    reading: IntervalValue, point: UsagePointData, meter: Meter | None, latest: float
) -> RawRow:
    ts = (
        datetime.fromtimestamp(reading.start, UTC).isoformat()
        if reading.start is not None and 0 <= reading.start <= LATEST_START
        else reading.start
    )
    label = meter.serial if meter is not None else point.identifier
    problem = reason = None
    if reading.problem:
        problem, reason = reading.problem, Reason.MALFORMED
    elif meter is None:
        problem = (
            f"usage point {point.identifier} is not assigned to a meter yet; assign it in the "
            "admin (Green Button usage points) and ingest the held readings again"
        )
        reason = Reason.UNMAPPED_USAGE_POINT
    elif meter.commodity != point.commodity:
        problem = (
            f"usage point {point.identifier} is {point.commodity} but meter {meter.serial} is "
            f"{meter.commodity}"
        )
        reason = Reason.COMMODITY_MISMATCH
    elif reading.duration != meter.interval_minutes * 60:
        problem = (
            f"the reading covers {_duration(reading.duration)}, but meter {meter.serial} records "
            f"{meter.interval_minutes}-minute intervals"
            + (
                "; it is no whole number of the meter's local days either, so it cannot be "
                "stored as a billing period"
                if reading.duration and reading.duration >= 82800
                else ""
            )
        )
        reason = Reason.INTERVAL_MISMATCH
    return RawRow(
        reading.position,
        label,
        ts,
        reading.value,
        reading.quality,
        problem=problem,
        reason=reason,
        source_time=_source_time(reading, latest),
    )


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "an unknown time"
    if seconds % 86400 == 0:
        return f"{seconds} s ({seconds // 86400} days)"
    if seconds % 60 == 0:
        return f"{seconds} s ({seconds // 60} minutes)"
    return f"{seconds} s"


def usage_point_batches(*, usage_point: GreenButtonUsagePoint) -> list[IngestBatch]:
    """The files that held a usage point's readings, oldest first (for ingesting them again)."""
    return list(usage_point.batches.order_by("received_at"))


def meter_feed_export(*, meter: Meter, first_day: date, last_day: date, base_href: str) -> bytes:
    """A meter's readings over local days ``first_day``..``last_day`` as a Green Button feed."""
    if last_day < first_day:
        raise ValidationFailed("end must be on or after start.", code="invalid")
    if (last_day - first_day).days + 1 > EXPORT_MAX_DAYS:
        raise ValidationFailed(
            f"At most {EXPORT_MAX_DAYS} days can be exported at once.", code="invalid"
        )
    zone = meter.premise.region.tzinfo
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone)
    after = last_day + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=zone)
    readings = [
        ExportReading(int(ts.timestamp()), value, quality)
        for ts, value, quality in meter_readings_between(meter=meter, start=start, end=end)
    ]
    return feed_write(
        base_href=base_href,
        title=f"{meter.serial} ({meter.get_commodity_display()})",
        commodity=meter.commodity,
        interval_minutes=meter.interval_minutes,
        zone=zone,
        first_day=first_day,
        last_day=last_day,
        readings=readings,
        updated=timezone.now(),
    )


@dataclass(frozen=True)
class UsagePointsReplay:
    files: int  # files ingested again
    accepted: int  # readings stored
    skipped: int  # usage points with no meter yet


def usage_points_replay(
    *, usage_points: Iterable[GreenButtonUsagePoint], client
) -> UsagePointsReplay:
    """Ingest again the Green Button files that held these usage points' readings (after staff
    assigned them meters): each file once, oldest first. Usage points without a meter are
    skipped: their readings would only be held back again."""
    batches = {}
    skipped = 0
    for usage_point in usage_points:
        if usage_point.meter_id is None:
            skipped += 1
            continue
        for batch in usage_point_batches(usage_point=usage_point):
            batches[batch.pk] = batch
    accepted = 0
    for batch in sorted(batches.values(), key=lambda b: b.received_at):
        accepted += batch_replay(batch=batch, client=client).accepted_count
    return UsagePointsReplay(files=len(batches), accepted=accepted, skipped=skipped)
