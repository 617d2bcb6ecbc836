"""Redis on the request path is optional: when it is down or slow, a request goes on without it.

Every use a request makes of Redis (the rate limit, the flag snapshot's version, first-visit
and first-exposure marks, the overview's refresh lock, queuing a message) has an answer for
"Redis did not answer": the call site catches ``REDIS_ERRORS``, does without (lets the request
through unthrottled, keeps the flag snapshot it has, writes to the database directly, …) and
calls ``redis_unavailable``, which counts what was given up in
``shoene_redis_unavailable_total{use}`` and logs it. Socket timeouts bound how long a slow
Redis can hold a request: the cache's (``CACHE_SOCKET_TIMEOUT_SECONDS``,
``CACHE_SOCKET_CONNECT_TIMEOUT_SECONDS``) and the broker's
(``CELERY_BROKER_SOCKET_TIMEOUT_SECONDS``, ``CELERY_BROKER_SOCKET_CONNECT_TIMEOUT_SECONDS``).
"""

import logging
import math
import threading
import time

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from config.observability.metrics import REDIS_UNAVAILABLE

# What the cache (Django's Redis backend: redis-py) and the broker (kombu) raise when Redis is
# down, restarting (loading its data), or too slow for the socket timeout.
REDIS_ERRORS = (RedisError, BrokerError, OSError)

# An outage fails every request's call: count each, log the reason at most this often per use.
LOG_EVERY_SECONDS = 10.0

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_logged_at: dict[str, float] = {}


def redis_unavailable(*, use: str, lost: str) -> None:
    """Count and log that ``use`` went on without Redis, giving up ``lost``. Call it from the
    ``except`` block, so the log line carries the error."""
    REDIS_UNAVAILABLE.labels(use).inc()
    now = time.monotonic()
    with _lock:
        due = now - _logged_at.get(use, -math.inf) >= LOG_EVERY_SECONDS
        if due:
            _logged_at[use] = now
    if due:
        logger.warning("Redis unreachable: %s went on without it (%s)", use, lost, exc_info=True)
