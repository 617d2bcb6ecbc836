"""System checks (tag ``database``: ``migrate`` and ``check --database default`` run them): the
default partition holds readings, or next month has no partition yet."""

from django.core import checks
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from energy.partitions.services import (
    DEFAULT_PARTITION,
    month_add,
    month_start,
    readings_default_rows,
    readings_partition_months,
    readings_partitioned,
)

# Counted up to this many: the check says "at least" beyond it.
DEFAULT_ROWS_COUNTED = 10_000


def partition_messages(*, using: str = DEFAULT_DB_ALIAS, today=None) -> list:
    if not readings_partitioned(using=using):
        return []
    messages = []
    rows = readings_default_rows(using=using, limit=DEFAULT_ROWS_COUNTED)
    if rows:
        shown = f"at least {rows:,}" if rows >= DEFAULT_ROWS_COUNTED else f"{rows:,}"
        messages.append(
            checks.Warning(
                f"The default partition {DEFAULT_PARTITION} holds {shown} readings: their months "
                "have no partition, and every new partition scans it.",
                hint="Run the beat task energy.tasks.readings_partitions_ensure (or "
                "`manage.py migrate`): it moves them into partitions of their months.",
                id="energy.W001",
            )
        )
    next_month = month_add(month_start(today or timezone.now()), 1)
    if next_month not in readings_partition_months(using=using):
        messages.append(
            checks.Warning(
                f"Readings have no partition for {next_month:%Y-%m} yet: from then they would "
                "land in the default partition.",
                hint="Is Celery beat running? The beat entry readings-partitions-ensure creates "
                "the months ahead; `manage.py migrate` does too.",
                id="energy.W002",
            )
        )
    return messages


@checks.register(checks.Tags.database)
def readings_partitions_check(app_configs=None, databases=None, **kwargs) -> list:
    messages = []
    for alias in databases or ():
        messages.extend(partition_messages(using=alias))
    return messages
