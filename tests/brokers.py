"""Sending tasks to a given broker in a test, as production does (not in-process)."""

import contextlib

from config.celery_app import app as celery_app

NOTHING_LISTENS = "redis://127.0.0.1:1/0"  # port 1: connection refused at once

_SETTINGS = ("CELERY_TASK_ALWAYS_EAGER", "task_always_eager", "CELERY_BROKER_URL", "broker_url")


def _connection_pools_drop() -> None:
    # The app keeps its broker connections and producers in pools made for the URL it first
    # used: without dropping them, a test run after one that sent a task would still publish
    # to that broker, whatever broker_url says now.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def tasks_queued_on(broker_url: str):
    """Tasks go to the broker at ``broker_url``, through connections made for it."""
    previous = {name: celery_app.conf.get(name) for name in _SETTINGS}
    celery_app.conf.update(
        {
            "CELERY_TASK_ALWAYS_EAGER": False,
            "task_always_eager": False,
            "CELERY_BROKER_URL": broker_url,
            "broker_url": broker_url,
        }
    )
    _connection_pools_drop()
    try:
        yield
    finally:
        celery_app.conf.update(previous)
        _connection_pools_drop()
