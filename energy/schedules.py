"""The energy app's periodic jobs: each a named Celery beat entry with why it runs.

Added to ``CELERY_BEAT_SCHEDULE`` by ``EnergyConfig.ready()`` (``config`` names no app's task).
"""

from celery.schedules import crontab
from django.conf import settings


def beat_schedule() -> dict[str, dict]:
    return {
        # Nothing accepted is lost: batches left "received" (broker down when they arrived) or
        # "processing" (retries ran out) are queued again.
        "ingest-requeue-stale-batches": {
            "task": "energy.tasks.ingest_batches_requeue_stale",
            "schedule": settings.INGEST_REQUEUE_EVERY_S,
        },
        # Recommendations follow the data: recomputed for every premise after the night's
        # deliveries (gateways send the previous day by about 02:00) and before customers read
        # them in the morning. Ingest also recomputes touched premises, debounced.
        "recommendations-nightly": {
            "task": "energy.tasks.recommendations_generate_nightly",
            "schedule": crontab(hour=3, minute=30),
        },
        # Households that marked a recommendation "done" get their measured savings updated
        # with the new day's data, after the recomputation above.
        "recommendations-measure-done": {
            "task": "energy.tasks.recommendations_measure_done",
            "schedule": crontab(hour=4, minute=30),
        },
        # Year-on-year campaign months are judged once over and their readings are in (ingest
        # lag included); recent months are recomputed daily, so late readings correct an award
        # through the ledger and nothing is awarded twice.
        "campaigns-yoy-awards-daily": {
            "task": "energy.tasks.yoy_awards_compute_all",
            "schedule": crontab(hour=5, minute=10),
        },
        # High-usage alerts go out in the morning, after the night's recomputation (03:30) has
        # found them; each recommendation emails its owner at most once a week.
        "notifications-high-usage-alerts": {
            "task": "energy.tasks.high_usage_alerts_send",
            "schedule": crontab(hour=7, minute=30),
        },
        # The weekly summary on Monday morning covers Monday to Sunday just ended, once the
        # night's deliveries have completed Sunday.
        "notifications-weekly-summaries": {
            "task": "energy.tasks.weekly_summaries_send",
            "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
        },
        # Demand-response points follow the data: every hour each event of the last 14 days is
        # recomputed, so an event is awarded within the hour its readings are complete, and late
        # or corrected readings become ledger corrections (the ledger appends only differences).
        # At :40, clear of the hourly experiment results at :15 (flags/schedules.py).
        "demand-response-awards-hourly": {
            "task": "energy.tasks.demand_response_awards_compute",
            "schedule": crontab(minute=40),
        },
        # Readings have a partition for each month up to READINGS_PARTITIONS_AHEAD_MONTHS ahead
        # before any arrive for it, and readings that landed in the default partition (a
        # back-fill of a month with no partition) move into one of their month. Daily, so a
        # failed run (a lock not granted in time) is tried again well before a month turns.
        "readings-partitions-ensure": {
            "task": "energy.tasks.readings_partitions_ensure",
            "schedule": crontab(hour=1, minute=20),
        },
    }
