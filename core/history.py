"""The audit trail of staff changes (django-simple-history underneath): one entry per change,
and restoring an object to an earlier version.

A model with many-to-many fields in its history (``Flag``: groups, users) would get an entry for
the save and another for each many-to-many update of the same change (simple-history records on
every ``m2m_changed``). Changes made through :func:`history_one_entry` (the admin, a restore, a
scheduled change) keep only the last of those entries, which holds the whole new state.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalChanges
from simple_history.signals import post_create_historical_record, pre_create_historical_record
from simple_history.utils import get_history_manager_for_model, get_m2m_reverse_field_name

# Where a change in progress collects the entries it creates (see history_batch_start).
_BATCH_ATTR = "_history_batch"

# The reason staff gave for the change in progress (see history_reason).
_reason: ContextVar[str | None] = ContextVar("history_reason", default=None)
# The history tables' change-reason column holds this many characters.
REASON_MAX_LENGTH = 100


@contextmanager
def history_reason(reason: str | None) -> Iterator[None]:
    """Every history entry created inside the block without a reason of its own gets
    ``reason``: the one the admin asked for, whatever service makes the saves."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)


def _reason_fill(sender, history_instance, **kwargs) -> None:
    reason = _reason.get()
    if reason and not history_instance.history_change_reason:
        history_instance.history_change_reason = reason[:REASON_MAX_LENGTH]


def _collect_entry(sender, instance, history_instance, **kwargs) -> None:
    batch = getattr(instance, _BATCH_ATTR, None)
    if batch is not None:
        batch.append(history_instance)


def on_history_entry_created_connect() -> None:
    """Called once from CoreConfig.ready()."""
    post_create_historical_record.connect(_collect_entry, dispatch_uid="flags-history-batch")
    pre_create_historical_record.connect(_reason_fill, dispatch_uid="core-history-reason")


def history_batch_start(*, instance: models.Model) -> None:
    """From now on, the entries created for ``instance`` are collected to become one."""
    setattr(instance, _BATCH_ATTR, [])


def history_batch_finish(*, instance: models.Model) -> None:
    """Keep only the last entry collected since history_batch_start; it holds the final state.

    Its type stays "created" when the change created the object, and it keeps the first
    change reason given.
    """
    batch = getattr(instance, _BATCH_ATTR, None)
    if batch is None:
        return
    delattr(instance, _BATCH_ATTR)
    if len(batch) < 2:
        return
    *superseded, kept = batch
    kept.history_type = superseded[0].history_type if superseded[0].history_type == "+" else "~"
    kept.history_change_reason = kept.history_change_reason or next(
        (entry.history_change_reason for entry in superseded if entry.history_change_reason),
        None,
    )
    kept.save(update_fields=["history_type", "history_change_reason"])
    superseded_ids = [entry.pk for entry in superseded]
    for field in kept._history_m2m_fields:
        getattr(kept, field.name).model.objects.filter(history_id__in=superseded_ids).delete()
    type(kept).objects.filter(pk__in=superseded_ids).delete()


@contextmanager
def history_one_entry(*, instance: models.Model) -> Iterator[None]:
    """Everything saved for ``instance`` inside the block is one entry in its history."""
    with transaction.atomic():
        history_batch_start(instance=instance)
        try:
            yield
        except BaseException:
            instance.__dict__.pop(_BATCH_ATTR, None)
            raise
        history_batch_finish(instance=instance)


def history_m2m_ids(*, record: HistoricalChanges, field_name: str) -> list:
    """The ids a many-to-many field held in this version."""
    field = record.instance_type._meta.get_field(field_name)
    return list(
        getattr(record, field_name).values_list(get_m2m_reverse_field_name(field), flat=True)
    )


def history_restore(
    *, record: HistoricalChanges, user: AbstractBaseUser | None, reason: str = ""
) -> models.Model:
    """Make the object what it was in ``record``; the restore is itself a new entry by ``user``,
    its reason ``reason`` followed by the version restored.

    The restored values are validated like an edit in the admin (ValidationError when, say,
    a restored tariff version would now overlap another).
    """
    instance = record.instance
    instance._state.adding = False
    instance.full_clean()
    instance._history_user = user
    saved_at = timezone.localtime(record.history_date)
    restored = f"restored: {saved_at:%Y-%m-%d %H:%M}"
    instance._change_reason = f"{reason} ({restored})"[:REASON_MAX_LENGTH] if reason else restored
    with history_one_entry(instance=instance):
        instance.save()
        for field in record._history_m2m_fields:
            # A group or user deleted since then cannot come back; the others do.
            ids = history_m2m_ids(record=record, field_name=field.name)
            getattr(instance, field.name).set(
                field.related_model._default_manager.filter(pk__in=ids)
            )
    return instance


def history_recent(*, user: AbstractBaseUser, limit: int = 50) -> list[HistoricalChanges]:
    """The latest entries across every model with a history that ``user`` may view."""
    entries: list[HistoricalChanges] = []
    for model in apps.get_models():
        if not hasattr(model._meta, "simple_history_manager_attribute"):
            continue
        opts = model._meta
        if not (
            user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
            or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        ):
            continue
        history = get_history_manager_for_model(model)
        entries.extend(history.select_related("history_user").order_by("-history_date")[:limit])
    entries.sort(key=lambda entry: entry.history_date, reverse=True)
    return entries[:limit]
