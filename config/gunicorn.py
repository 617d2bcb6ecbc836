"""gunicorn settings for the web container: ``gunicorn -c config/gunicorn.py config.wsgi``.

With several worker processes, Prometheus metrics are aggregated across them through
prometheus_client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` (default
/tmp/prometheus-web, emptied at start) is set here, in the master, before the workers import
the application. Multiprocess mode keeps no exemplars (docs/observability.md); with
``GUNICORN_WORKERS=1`` it is not used and /metrics carries them.
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# The JSON access line comes from Shoene's middleware; gunicorn's own would repeat it.
accesslog = None

if workers > 1:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/prometheus-web")


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
