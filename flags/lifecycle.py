"""Keeping flags from rotting: which database flags the code declares, and which are stale.

Stale (PostHog's and Unleash's sense): fully on or fully off for everyone, and unchanged for
``STALE_AFTER_DAYS``: the flag no longer decides anything, so its code path should be kept or
removed and the flag deleted.
"""

from datetime import timedelta

from django.utils import timezone

from flags.registry import registry

STALE_AFTER_DAYS = 30


def flag_in_code(name: str) -> bool:
    return name in registry()


def flag_is_fully_on_or_off(flag) -> bool:
    """On for everyone, or off for everyone (no percentage and no targeting left)."""
    if flag.everyone is not None:
        return True
    targets = (
        flag.percent
        or flag.authenticated
        or flag.staff
        or flag.languages
        or flag.testing
        or (flag.pk and (flag.groups.exists() or flag.users.exists()))
    )
    return not targets


def flag_is_stale(flag, *, now=None) -> bool:
    now = now or timezone.now()
    return flag_is_fully_on_or_off(flag) and flag.modified <= now - timedelta(days=STALE_AFTER_DAYS)
