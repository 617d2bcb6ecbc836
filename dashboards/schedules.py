"""The dashboards app's periodic jobs: each a named Celery beat entry with why it runs.

Added to ``CELERY_BEAT_SCHEDULE`` by ``DashboardsConfig.ready()`` (``config`` names no app's
task).
"""


def beat_schedule() -> dict[str, dict]:
    return {
        # The staff overview reads aggregates, not raw tables: recomputed every minute, so the
        # page is at most a minute behind and costs one query.
        "overview-compute": {
            "task": "dashboards.tasks.overview_compute_task",
            "schedule": 60.0,
        },
    }
