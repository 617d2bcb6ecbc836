"""Flag changes staff schedule for later, made by Celery beat every minute."""

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from core.history import history_one_entry
from flags.models import Flag, ScheduledFlagChange

logger = logging.getLogger(__name__)

_EVERYONE_VALUES = {
    ScheduledFlagChange.Everyone.ON: True,
    ScheduledFlagChange.Everyone.OFF: False,
    ScheduledFlagChange.Everyone.UNSET: None,
}


def scheduled_change_apply(*, change: ScheduledFlagChange) -> Flag:
    """Make one change to its flag, recorded in the flag's history as by whoever scheduled it."""
    flag = Flag.objects.select_for_update().get(pk=change.flag_id)
    if change.everyone in _EVERYONE_VALUES:
        flag.everyone = _EVERYONE_VALUES[change.everyone]
    if change.percent is not None:
        flag.percent = change.percent
    flag.full_clean()
    flag._history_user = change.created_by
    flag._change_reason = f"scheduled change #{change.pk}"
    groups = list(change.groups.all())
    with history_one_entry(instance=flag):
        flag.save()
        if change.replace_groups:
            flag.groups.set(groups)
        elif groups:
            flag.groups.add(*groups)
    change.status = ScheduledFlagChange.Status.APPLIED
    change.applied_at = timezone.now()
    change.error = ""
    change.save(update_fields=["status", "applied_at", "error"])
    return flag


def scheduled_changes_apply(*, now: datetime | None = None) -> int:
    """Make every pending change due at ``now`` (default: now), oldest first; returns how many.

    The due changes are locked with SKIP LOCKED, so runs that overlap (two beat ticks, the
    command and the beat job) never make one change twice. A change that cannot be made is
    marked failed with the reason; the others still go ahead.
    """
    now = now or timezone.now()
    applied = 0
    with transaction.atomic():
        due = list(
            ScheduledFlagChange.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ScheduledFlagChange.Status.PENDING, apply_at__lte=now)
            .select_related("created_by")
            .order_by("apply_at", "pk")
        )
        for change in due:
            try:
                with transaction.atomic():
                    scheduled_change_apply(change=change)
            except (ValidationError, IntegrityError, DataError) as exc:
                logger.warning("Scheduled flag change %s failed: %s", change.pk, exc)
                change.status = ScheduledFlagChange.Status.FAILED
                change.error = _error_text(exc)
                change.save(update_fields=["status", "error"])
            else:
                applied += 1
    return applied


def scheduled_change_cancel(*, change: ScheduledFlagChange) -> bool:
    """Cancel a change that is still pending; False when it was already made or cancelled."""
    updated = ScheduledFlagChange.objects.filter(
        pk=change.pk, status=ScheduledFlagChange.Status.PENDING
    ).update(status=ScheduledFlagChange.Status.CANCELLED)
    return bool(updated)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
        )
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
