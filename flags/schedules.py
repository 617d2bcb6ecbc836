"""The flags app's periodic jobs: each a named Celery beat entry with why it runs.

Added to ``CELERY_BEAT_SCHEDULE`` by ``FlagsConfig.ready()`` (``config`` names no app's task).
"""

from celery.schedules import crontab


def beat_schedule() -> dict[str, dict]:
    return {
        # Staff schedule flag changes for a time of day (a campaign starting at 09:00); they are
        # made within a minute of it and recorded in the flag's history.
        "flags-apply-scheduled-changes": {
            "task": "flags.tasks.scheduled_flag_changes_apply",
            "schedule": 60.0,
        },
        # Experiment results for staff follow the data: recomputed every hour for running
        # experiments (exposures arrive all day; energy metrics change after the night's ingest).
        "experiments-results-hourly": {
            "task": "flags.tasks.experiment_results_compute_running",
            "schedule": crontab(minute=15),
        },
    }
