"""gunicorn server hooks for Prometheus's multiprocess mode (several gunicorn workers).

In the gunicorn configuration file (``gunicorn -c config/gunicorn.py``)::

    from config.observability.gunicorn_hooks import child_exit, on_starting, multiprocess_enable

    multiprocess_enable(workers=workers)

``multiprocess_enable`` sets ``PROMETHEUS_MULTIPROC_DIR`` (default /tmp/prometheus-web) in the
master before the workers import the application, when there is more than one worker; each
worker then writes its metrics to files there and ``/metrics`` aggregates them. Multiprocess
mode keeps no exemplars (a limit of prometheus_client): with one worker (``GUNICORN_WORKERS=1``,
scaling by replicas) it is not used and /metrics carries them. docs/observability.md.
"""

import os
import shutil
from pathlib import Path

DEFAULT_DIRECTORY = "/tmp/prometheus-web"


def multiprocess_enable(*, workers: int) -> str | None:
    """Turn multiprocess mode on for more than one worker; the directory, or None."""
    if workers <= 1:
        return None
    return os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", DEFAULT_DIRECTORY)


def on_starting(server) -> None:
    """Start with an empty directory: files of an earlier run's workers would be counted."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    """A worker that exits leaves its counters (they stay summed) but not its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
