"""Storing billing periods: from a bill file, from the API, from Green Button files."""

import bisect
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from energy.bills.models import BillingPeriod, BillingSource
from energy.bills.parse import BillFileInvalid, PeriodRow
from energy.models import IngestBatch, Meter


@dataclass(frozen=True)
class BillingImport:
    created: int
    updated: int  # a stored period with the same first day, replaced by the new figures
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def billing_periods_import(
    *,
    meter: Meter,
    periods: list[PeriodRow],
    source: str = BillingSource.CSV,
    batch: IngestBatch | None = None,
    name: str = "<periods>",
) -> BillingImport:
    """Store a meter's billing periods, all or none.

    A period with the first day of a stored one replaces it (a corrected bill); one that shares
    a day with a stored period of another first day, or ends after the meter's local today, is
    refused with the others' reasons (``BillFileInvalid``, one per line). The meter's row is
    locked meanwhile, so two imports for one meter cannot both pass the overlap check.
    """
    today = timezone.localdate(timezone=meter.premise.region.tzinfo)
    with transaction.atomic():
        Meter.objects.select_for_update().filter(pk=meter.pk).first()
        stored = {row.start: row for row in BillingPeriod.objects.filter(meter=meter)}
        problems = []
        for period in periods:
            if period.end >= today:
                problems.append(
                    (
                        period.line,
                        _("the period ends on %(end)s, which is not over yet (today is %(today)s).")
                        % {"end": period.end.isoformat(), "today": today.isoformat()},
                    )
                )
            clash = _stored_overlap(period, stored)
            if clash is not None:
                problems.append(
                    (
                        period.line,
                        _(
                            "the period %(start)s to %(end)s overlaps the stored period "
                            "%(other_start)s to %(other_end)s; delete that one first if it was "
                            "wrong."
                        )
                        % {
                            "start": period.start.isoformat(),
                            "end": period.end.isoformat(),
                            "other_start": clash.start.isoformat(),
                            "other_end": clash.end.isoformat(),
                        },
                    )
                )
        if problems:
            raise BillFileInvalid(problems, source=name)
        created = updated = unchanged = 0
        for period in periods:
            fields = {
                "end": period.end,
                "usage": period.usage,
                "cost_jpy": period.cost_jpy,
                "estimated": period.estimated,
            }
            existing = stored.get(period.start)
            if existing is None:
                BillingPeriod.objects.create(
                    meter=meter, start=period.start, source=source, batch=batch, **fields
                )
                created += 1
            elif all(getattr(existing, key) == value for key, value in fields.items()):
                unchanged += 1
            else:
                for key, value in fields.items():
                    setattr(existing, key, value)
                existing.source, existing.batch = source, batch
                existing.save()
                updated += 1
    return BillingImport(created=created, updated=updated, unchanged=unchanged)


def _stored_overlap(period: PeriodRow, stored: dict[date, BillingPeriod]) -> BillingPeriod | None:
    """A stored period of another first day sharing a day with ``period`` (stored periods never
    overlap each other, so only the last one starting by ``period.end`` can)."""
    starts = sorted(stored)
    index = bisect.bisect_right(starts, period.end) - 1
    while index >= 0:
        row = stored[starts[index]]
        if row.end < period.start:
            return None
        if row.start != period.start:
            return row
        index -= 1
    return None
