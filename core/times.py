"""Small time helpers several apps use."""

from datetime import datetime


def hour_start(moment: datetime) -> datetime:
    """The start of the hour ``moment`` falls in (same time zone)."""
    return moment.replace(minute=0, second=0, microsecond=0)
