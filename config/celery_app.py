"""The Celery application: configured from Django settings (``CELERY_*``).

Workers log with Django's ``LOGGING`` (JSON lines, like the web), trace their tasks when
tracing is asked for, and each pool process serves its metrics on ``CELERY_METRICS_PORT`` plus
its index (docs/observability.md).
"""

import gc
import os
from importlib import import_module

from celery import Celery, Task, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("shoene", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_by_name(name: str) -> Task:
    """The task registered as ``name`` (``"energy.tasks.ingest_batch_process"``), its module
    imported on first use.

    Services enqueue work by task name, so they never import a tasks module (tasks import
    services). This is the task object its module defines: ``delay``, ``apply_async``,
    ``delay_on_commit``, eager mode and a test's patch of ``energy.tasks.x.apply_async`` work as
    they do on the module's attribute (``send_task`` would bypass eager mode).
    """
    if name not in app.tasks:
        import_module(name.rpartition(".")[0])
    return app.tasks[name]


def beat_schedule_register(entries: dict[str, dict]) -> None:
    """Add an app's periodic jobs (its ``schedules.py``) to the one schedule beat reads.

    Called from the app's ``AppConfig.ready()``, which every process (web, worker, beat) runs
    before beat reads ``beat_schedule``; the entries name their tasks by dotted string, so the
    infrastructure imports no app.
    """
    from django.conf import settings

    settings.CELERY_BEAT_SCHEDULE.update(entries)


@signals.setup_logging.connect
def _logging_from_django(**kwargs) -> None:
    """Celery leaves the logging to Django's LOGGING (one JSON format for web and workers)."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def _process_telemetry_start(index: int) -> None:
    from django.conf import settings

    from config.observability.metrics import metrics_worker_server_start
    from config.observability.tracing import tracing_setup

    tracing_setup(service_name="shoene-worker")
    if settings.CELERY_METRICS_PORT:
        metrics_worker_server_start(port=settings.CELERY_METRICS_PORT + index)


@signals.worker_process_init.connect
def _pool_process_init(**kwargs) -> None:
    """Each prefork pool process: tracing (its own exporter thread) and a metrics port."""
    from billiard.process import current_process

    _process_telemetry_start(getattr(current_process(), "index", 0) or 0)
    gc.freeze()  # as config/wsgi.py: what the worker loaded stays out of the collector's passes


@signals.worker_init.connect
def _worker_init(sender=None, **kwargs) -> None:
    """Pools without child processes (solo, threads) run tasks in the worker's own process."""
    pool = getattr(sender, "pool_cls", None)
    name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    if "prefork" not in str(name):
        _process_telemetry_start(0)
        gc.freeze()


@signals.task_prerun.connect
def _task_log_context(task_id=None, task=None, **kwargs) -> None:
    from config.observability.context import fields_bind

    task.request.shoene_log_token = fields_bind(task_id=task_id, task_name=task.name)


@signals.task_postrun.connect
def _task_log_context_end(task=None, **kwargs) -> None:
    from config.observability.context import fields_unbind
    from config.observability.metrics import metrics_publish

    metrics_publish()
    token = getattr(task.request, "shoene_log_token", None)
    if token is not None:
        fields_unbind(token)
