"""Gunicorn settings, read from the environment: ``gunicorn -c config/gunicorn.py config.wsgi``.

Used by the image (Dockerfile), docker-compose.yml, deploy/k8s and the load drill, so every
way of running the web process serves the same way.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers with a few threads each: pages and the ingest API spend most of their time in
# PostgreSQL, so threads overlap those waits. Each thread may hold a database connection.
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
# A request still running after this long is killed (its worker restarts): longer than the
# largest ingest body takes to store, shorter than a load balancer's own idle timeout.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Connections waiting for a worker; a burst beyond this is refused by the kernel.
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
# Workers are replaced after this many requests (with jitter, not all at once) to bound any
# slow memory growth; 0 turns it off.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# No control socket (gunicorn 27's gunicornc): one fixed path per user would be shared by every
# gunicorn on the machine, and a container is managed from outside anyway.
control_socket_disable = True
# Off by default: the application writes one JSON line per request with its trace and request
# ids (config/observability); GUNICORN_ACCESS_LOG=- adds gunicorn's own.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a TLS-terminating proxy or ingress: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus metrics across the workers (config/observability, docs/observability.md): a port
# per worker with WEB_METRICS_PORT (exemplars kept), else multiprocess mode for more than one
# worker; gunicorn reads the hooks by name from here.
from config.observability.gunicorn_hooks import (  # noqa: E402, F401
    child_exit,
    multiprocess_enable,
    on_starting,
    post_worker_init,
)

multiprocess_enable(workers=workers)
