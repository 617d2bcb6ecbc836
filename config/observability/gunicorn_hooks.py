"""gunicorn server hooks: how the web's metrics stay whole with several gunicorn workers.

In the gunicorn configuration file (``config/gunicorn.py``)::

    from config.observability.gunicorn_hooks import (
        child_exit, multiprocess_enable, on_starting, post_worker_init,
    )

    multiprocess_enable(workers=workers)

Two ways, chosen by ``WEB_METRICS_PORT`` (docs/observability.md):

- **Unset (the default): multiprocess mode.** ``multiprocess_enable`` sets
  ``PROMETHEUS_MULTIPROC_DIR`` (default /tmp/prometheus-web) in the master before the workers
  import the application, when there is more than one worker; each worker writes its metrics
  to files there and ``/metrics`` aggregates them. It keeps no exemplars (a limit of
  prometheus_client).
- **Set: a port per worker.** Each worker serves its own registry, exemplars included, on the
  first free port of ``WEB_METRICS_PORT`` … ``WEB_METRICS_PORT + workers - 1``
  (``post_worker_init``), as each Celery pool process does; Prometheus scrapes every port and
  sums. A worker that replaces one that exited takes the port it freed. ``/metrics`` on the
  web port then serves only the system gauges (queue depth, workers, ingest lag), so nothing is
  counted twice.
"""

import logging
import os
import shutil
import threading
import time
from pathlib import Path

DEFAULT_DIRECTORY = "/tmp/prometheus-web"
# How long a new worker keeps trying for a port (an exiting worker may still hold its own).
PORT_WAIT_SECONDS = 120

logger = logging.getLogger(__name__)


def per_worker_port() -> int:
    """``WEB_METRICS_PORT``: the first web worker's metrics port, or 0 (multiprocess mode)."""
    return int(os.environ.get("WEB_METRICS_PORT") or 0)


def multiprocess_enable(*, workers: int) -> str | None:
    """Turn multiprocess mode on for more than one worker without per-worker ports; the
    directory, or None."""
    if workers <= 1 or per_worker_port():
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


def post_worker_init(worker) -> None:
    """With ``WEB_METRICS_PORT``: serve this worker's metrics on a port of its own (above)."""
    base = per_worker_port()
    if base:
        ports = range(base, base + max(1, worker.cfg.workers))
        threading.Thread(
            target=_metrics_port_take, args=(ports,), name="metrics-port", daemon=True
        ).start()


def _metrics_port_take(ports: range) -> None:
    from config.observability.metrics import metrics_worker_server_start

    deadline = time.monotonic() + PORT_WAIT_SECONDS
    while time.monotonic() < deadline:
        for port in ports:
            try:
                metrics_worker_server_start(port=port)
            except OSError:  # another worker's
                continue
            logger.info("Serving this web worker's metrics on port %s", port)
            return
        time.sleep(0.5)
    logger.error(
        "No free metrics port in %s-%s: this web worker's metrics are not scraped",
        ports.start,
        ports.stop - 1,
    )
