"""Shoene's Prometheus metrics (django-prometheus adds the generic HTTP ones).

Counters and histograms live in the process's registry: a web process serves them at
``/metrics`` (``config.observability.views``), a Celery pool process on its own port
(``metrics_worker_server_start``), as does each gunicorn worker with ``WEB_METRICS_PORT``. With
``PROMETHEUS_MULTIPROC_DIR`` set instead (gunicorn with several workers, no per-worker ports),
prometheus_client's multiprocess mode aggregates the processes' files; it keeps no exemplars (a
limit of prometheus_client). docs/observability.md.

Histograms observed inside a trace carry its trace id as an OpenMetrics exemplar
(``exemplar()``); a scrape asking for ``application/openmetrics-text`` sees them.

Gauges that describe the whole system rather than one process are read when ``/metrics`` is
scraped, so every web replica reports the same values: the Celery queue depths from Redis and
the workers answering a ping (``SystemCollector``), and what an app registers with
``metrics_collector_register`` from its ``AppConfig.ready()`` (the dashboards app's ingest
lag). Nothing here imports an app.
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from config.observability.logs import trace_ids

logger = logging.getLogger(__name__)

READINGS = Counter(
    "shoene_ingest_readings",
    "Readings processed by ingest, by outcome (accepted, duplicate, corrected, rejected) and, "
    "for rejected ones, the reason.",
    ["outcome", "reason"],
)
REQUEST_DURATION = Histogram(
    "shoene_http_request_duration_seconds",
    "Time to answer a web request (not probes or scrapes), by method, the URL pattern's name "
    "and the status class.",
    ["method", "view", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BATCHES = Counter(
    "shoene_ingest_batches",
    "Ingest batches processed, by the status they ended in (done, failed).",
    ["status"],
)
BATCH_DURATION = Histogram(
    "shoene_ingest_batch_duration_seconds",
    "Time to process one ingest batch in a worker (parse, validate, store, roll up).",
    ["status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
RECOMMENDATION_JOB_DURATION = Histogram(
    "shoene_recommendation_job_duration_seconds",
    "Time of one recommendations job (nightly for every premise, or a recomputation).",
    ["job"],
    buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600),
)
FLAG_EVALUATIONS = Counter(
    "shoene_flag_evaluations",
    "Feature flag and switch evaluations, by flag and the value served.",
    ["flag", "value"],
)
EXPERIMENT_EXPOSURES = Counter(
    "shoene_experiment_exposures",
    "First exposures of customers to an experiment, by experiment and variant.",
    ["experiment", "variant"],
)
API_REQUESTS = Counter(
    "shoene_api_requests",
    "Requests to /api/, by the scopes of the API key used (sorted, comma-joined), "
    "'session' for a signed-in browser, 'token' for another credential, 'anonymous' otherwise; "
    "and the response's status class.",
    ["scope", "status"],
)
API_THROTTLED = Counter(
    "shoene_api_throttled",
    "API requests refused with 429, by what was over its rate: an API key ('key'), a signed-in "
    "user ('user'), an address's anonymous calls ('anon') or its refused keys ('auth_failure').",
    ["kind"],
)
REDIS_UNAVAILABLE = Counter(
    "shoene_redis_unavailable",
    "Times a request (or task) went on without Redis because it was down or slow, by what "
    "used it and so was given up: a rate-limit check, a flag snapshot's freshness, a cache "
    "entry, a queued message (config/degrade.py).",
    ["use"],
)


def exemplar() -> dict[str, str] | None:
    """The current trace's id as an exemplar label set, or None outside a trace."""
    ids = trace_ids()
    return {"trace_id": ids["trace_id"]} if ids else None


@contextmanager
def duration_observed(histogram, *labels: str) -> Iterator[None]:
    """Observe the block's duration in ``histogram`` (with the trace as exemplar)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.labels(*labels).observe(time.perf_counter() - started, exemplar=exemplar())


def api_scope_label(request) -> str:
    """The ``scope`` label of an API request (see ``API_REQUESTS``)."""
    auth = request.__dict__.get("auth")
    scopes = getattr(auth, "scopes", None)
    if scopes is not None:
        return ",".join(sorted(scopes)) or "none"
    if auth is not None:
        return "token"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return "session"
    return "anonymous"


# --- Gauges read at scrape time -----------------------------------------------------------------


def queue_depths() -> dict[str, int]:
    """Messages waiting per Celery queue on a Redis broker (kombu's priority lists included)."""
    from config.celery_app import app

    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    queues = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in (app.conf.task_routes or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            queues.add(route["queue"])
    # kombu's Redis transport keeps priorities 0, 3, 6, 9 in lists named queue, queue␆␖3, …
    separator = "\x06\x16"
    client = redis.Redis.from_url(broker_url, socket_timeout=2, socket_connect_timeout=2)
    with client.pipeline(transaction=False) as pipe:
        names = []
        for queue in sorted(queues):
            for key in [queue] + [f"{queue}{separator}{p}" for p in (1, 2, 3, 4, 5, 6, 7, 8, 9)]:
                pipe.llen(key)
                names.append(queue)
        lengths = pipe.execute()
    depths: dict[str, int] = dict.fromkeys(queues, 0)
    for queue, length in zip(names, lengths, strict=True):
        depths[queue] += length
    return depths


class SystemCollector:
    """Queue depth per Celery queue and the workers answering a ping, read at scrape time."""

    def collect(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "shoene_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        try:
            for queue, length in sorted(queue_depths().items()):
                depth.add_metric([queue], length)
        except Exception:
            logger.warning("Could not read the Celery queue depths", exc_info=True)
        yield depth
        yield from self._workers()

    def _workers(self) -> Iterable[Metric]:
        """``shoene_celery_workers``: 0 when none answers, or the broker is not reachable (no
        sample at all when tasks run in-process)."""
        from config.health import workers_answering

        workers = GaugeMetricFamily(
            "shoene_celery_workers",
            "Celery workers that answered a ping through the broker within "
            "METRICS_WORKER_PING_SECONDS (0 when none did or the broker is not reachable).",
        )
        try:
            names = workers_answering(timeout_s=settings.METRICS_WORKER_PING_SECONDS)
        except Exception:
            logger.warning("Could not ping the Celery workers", exc_info=True)
            names = []
        if names is not None:
            workers.add_metric([], len(names))
        yield workers


_collectors: list = []


def metrics_collector_register(collector) -> None:
    """An app's gauges of the whole system (an object with ``collect()``, as prometheus_client's
    collectors), read at every ``/metrics`` scrape after ``SystemCollector``'s; registered from
    the app's ``AppConfig.ready()``, so infrastructure never imports an app."""
    if collector not in _collectors:
        _collectors.append(collector)


# --- Exposition -------------------------------------------------------------------------------


_publishers: list[Callable[[], None]] = []


def metrics_publisher_register(publish: Callable[[], None]) -> None:
    """Code that counts in plain memory on a hot path (flag checks) registers how to publish
    its counts; they are published after every request and task and at every scrape."""
    if publish not in _publishers:
        _publishers.append(publish)


def metrics_publish() -> None:
    for publish in _publishers:
        publish()


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _Registries:
    """Several collectors as one registry for the exposition functions (they call collect())."""

    def __init__(self, *collectors) -> None:
        self.collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def process_registry():
    """This process's metrics (or, in multiprocess mode, every process's, aggregated)."""
    metrics_publish()
    if multiprocess():
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY


def web_registry():
    """What ``/metrics`` serves: the processes' metrics and the system gauges; only the gauges
    when each web worker serves its own metrics on a port of its own (``WEB_METRICS_PORT``)."""
    if settings.WEB_METRICS_PORT:
        metrics_publish()
        return _Registries(SystemCollector(), *_collectors)
    return _Registries(process_registry(), SystemCollector(), *_collectors)


def exposition(registry, accept: str) -> tuple[bytes, str]:
    """The metrics in the format the scraper asked for (OpenMetrics carries exemplars)."""
    from prometheus_client.exposition import choose_encoder

    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def scrape_token_ok(authorization: str) -> bool:
    """``Authorization: Bearer <METRICS_SCRAPE_TOKEN>`` (never accepted when no token is set)."""
    import hmac

    token = settings.METRICS_SCRAPE_TOKEN
    if not token or not authorization.startswith("Bearer "):
        return False
    return hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), token.encode())


# --- The worker's endpoint -----------------------------------------------------------------------

_server: dict = {}


def metrics_worker_server_start(*, port: int, registry=None) -> int:
    """Serve this process's metrics over HTTP on ``port`` (a Celery pool process); the port.

    The same scrape token as ``/metrics`` is asked for when one is set. One server per process.
    """
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    if "port" in _server:
        return _server["port"]

    class _QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # scrapes every 15 s are not news
            pass

    def app(environ, start_response):
        if settings.METRICS_SCRAPE_TOKEN and not scrape_token_ok(
            environ.get("HTTP_AUTHORIZATION", "")
        ):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"a scrape token is required\n"]
        body, content_type = exposition(
            registry or process_registry(), environ.get("HTTP_ACCEPT", "")
        )
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]

    class _Server(WSGIServer):
        allow_reuse_address = True

    server = make_server("0.0.0.0", port, app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    _server["port"] = server.server_port
    _server["server"] = server
    return _server["port"]
