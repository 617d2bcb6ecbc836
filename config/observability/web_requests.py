"""Web requests and server errors per minute, shared by every web process, for the overview.

Each process counts in memory and adds its counts to the shared cache (Redis in production) at
most every ``FLUSH_SECONDS``, so a request costs a few dictionary operations and no round trip.
A process that dies loses at most those seconds of counts. Buckets are kept 26 hours. While the
shared cache is unreachable the counts stay in memory for the next flush: a request never fails
because its metrics could not be written.
"""

import threading
import time
from collections import Counter

from django.core.cache import cache

from config.degrade import REDIS_ERRORS, redis_unavailable

FLUSH_SECONDS = 5.0
KEEP_SECONDS = 26 * 60 * 60
KEY = "obs:web:{kind}:{minute}"

_lock = threading.Lock()
_pending: Counter = Counter()
_state = {"flushed_at": time.monotonic()}


def web_request_record(*, status: int, now: float | None = None) -> None:
    """Count one request (and a server error when ``status`` is 5xx) in its minute."""
    minute = int((now or time.time()) // 60)
    with _lock:
        _pending[("requests", minute)] += 1
        if status >= 500:
            _pending[("errors", minute)] += 1
        due = time.monotonic() - _state["flushed_at"] >= FLUSH_SECONDS
    if due:
        web_requests_flush()


def web_requests_flush() -> bool:
    """Add this process's pending counts to the shared cache; False when it is unreachable
    (the counts not written are kept for the next flush)."""
    with _lock:
        pending = dict(_pending)
        _pending.clear()
        _state["flushed_at"] = time.monotonic()
    unwritten = dict(pending)
    try:
        for (kind, minute), count in pending.items():
            key = KEY.format(kind=kind, minute=minute)
            cache.add(key, 0, timeout=KEEP_SECONDS)
            try:
                cache.incr(key, count)
            except ValueError:  # expired between add and incr
                cache.set(key, count, timeout=KEEP_SECONDS)
            del unwritten[kind, minute]
    except REDIS_ERRORS:  # Redis down or restarting: never the request's error
        with _lock:
            _pending.update(unwritten)
        redis_unavailable(use="web_request_counts", lost="the counts stay in this process's memory")
        return False
    return True


def web_requests_per_minute(*, first_minute: int, last_minute: int) -> dict[str, dict[int, int]]:
    """{"requests": {minute: n}, "errors": {minute: n}} for the minutes (epoch minutes) given."""
    minutes = range(first_minute, last_minute + 1)
    result: dict[str, dict[int, int]] = {}
    for kind in ("requests", "errors"):
        keys = {KEY.format(kind=kind, minute=m): m for m in minutes}
        found = cache.get_many(list(keys))
        result[kind] = {keys[key]: int(value) for key, value in found.items()}
    return result
