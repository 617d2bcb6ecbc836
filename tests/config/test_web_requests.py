"""The per-minute request tally never turns a request into a 500 when Redis is away."""

import time

import pytest
import redis
from django.core.cache import cache

from config.observability import web_requests


class UnreachableCache:
    """The shared cache as Redis answers while it is down."""

    def add(self, *args, **kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    incr = set = add


@pytest.fixture
def flush_due(monkeypatch):
    """Every request's tally falls due for a flush."""
    monkeypatch.setattr(web_requests, "FLUSH_SECONDS", 0.0)
    web_requests._pending.clear()
    yield
    web_requests._pending.clear()


def test_a_request_whose_tally_flush_finds_redis_down_answers_normally(
    client, monkeypatch, flush_due
):
    monkeypatch.setattr(web_requests, "cache", UnreachableCache())

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    minute = int(time.time() // 60)
    # Kept in memory for the next flush, not lost.
    assert sum(n for (kind, m), n in web_requests._pending.items() if kind == "requests") == 1
    assert {m for _, m in web_requests._pending} <= {minute, minute - 1}


def test_the_counts_kept_while_redis_was_down_are_written_once_it_is_back(
    client, monkeypatch, flush_due
):
    cache.clear()
    monkeypatch.setattr(web_requests, "cache", UnreachableCache())
    for _ in range(3):
        assert client.get("/accounts/login/").status_code == 200

    monkeypatch.setattr(web_requests, "cache", cache)
    assert web_requests.web_requests_flush() is True

    minute = int(time.time() // 60)
    counts = web_requests.web_requests_per_minute(first_minute=minute - 1, last_minute=minute)
    assert sum(counts["requests"].values()) == 3
    assert not web_requests._pending
