"""System checks: a flag past its expiry date is an error, one about to expire a warning."""

from datetime import date, timedelta

from django.core import checks
from django.utils import timezone

from flags.registry import EXPIRY_WARNING_DAYS, FLAGS, FlagSpec


def expiry_messages(*, specs: tuple[FlagSpec, ...] = FLAGS, today: date | None = None) -> list:
    today = today or timezone.localdate()
    messages = []
    for spec in specs:
        if spec.expires < today:
            messages.append(
                checks.Error(
                    f"Flag {spec.name!r} expired on {spec.expires} (owner: {spec.owner}).",
                    hint="Remove the flag and its code paths, or extend its expiry in "
                    "flags/registry.py on purpose.",
                    id="flags.E001",
                )
            )
        elif spec.expires <= today + timedelta(days=EXPIRY_WARNING_DAYS):
            messages.append(
                checks.Warning(
                    f"Flag {spec.name!r} expires on {spec.expires} (owner: {spec.owner}).",
                    hint="Plan its removal, or extend its expiry in flags/registry.py.",
                    id="flags.W001",
                )
            )
    return messages


@checks.register("flags")
def flags_expiry_check(app_configs=None, **kwargs) -> list:
    return expiry_messages()
