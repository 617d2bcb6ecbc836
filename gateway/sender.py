"""Sending batches: one request at a time, retried with exponential backoff and full jitter,
behind a circuit breaker, honouring the server's Retry-After."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from enum import Enum

import httpx

from gateway.buffer import Batch
from gateway.settings import GatewaySettings

INGEST_PATH = "/api/v1/ingest/readings/"


class Result(Enum):
    CONFIRMED = "confirmed"  # 202: the server stored the batch (or already had it)
    REFUSED = "refused"  # 4xx for the data itself: sending it again cannot help
    RETRY = "retry"  # network error, timeout, 429, 5xx (503), or 401/403 until fixed


@dataclass(frozen=True)
class Answer:
    result: Result
    detail: str
    retry_after_s: float = 0.0


# Refused for what the batch holds: sending the same bytes again gets the same answer.
REFUSING_STATUSES = {400, 409, 413, 415, 422}


def batch_send(http: httpx.Client, batch: Batch, *, settings: GatewaySettings) -> Answer:
    try:
        response = http.post(
            INGEST_PATH,
            content=batch.body(),
            headers={
                "Authorization": settings.authorization,
                "Content-Type": "application/json",
                "Idempotency-Key": batch.key,
            },
        )
    except httpx.HTTPError as exc:
        return Answer(Result.RETRY, f"{type(exc).__name__}: {exc}")
    if response.status_code == 202:
        return Answer(Result.CONFIRMED, response.headers.get("Location", ""))
    detail = f"HTTP {response.status_code}: {response.text[:300]}"
    if response.status_code in REFUSING_STATUSES:
        return Answer(Result.REFUSED, detail)
    return Answer(Result.RETRY, detail, _retry_after_s(response.headers.get("Retry-After")))


def _retry_after_s(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0  # an HTTP date: the backoff decides


class CircuitBreaker:
    """Closed: requests go out. After ``failures`` failures in a row it opens: nothing goes out
    for ``open_s``. Then half-open: one trial request; success closes it, failure reopens it."""

    def __init__(self, *, failures: int, open_s: float, clock=time.monotonic) -> None:
        self.threshold = failures
        self.open_s = open_s
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.times_opened = 0

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.open_s else "open"

    def allows(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self) -> bool:
        """Count a failure; True when this one opened (or reopened) the circuit."""
        self.failures += 1
        if self.state == "half-open" or (
            self.opened_at is None and self.failures >= self.threshold
        ):
            self.opened_at = self.clock()
            self.times_opened += 1
            return True
        return False


class Backoff:
    """Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
    Jitter"): the n-th wait is uniform in [0, min(cap, base × 2^n)], at least Retry-After."""

    def __init__(self, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.rng = rng or random.Random()
        self.failures = 0

    def next_wait_s(self, *, retry_after_s: float = 0.0) -> float:
        ceiling = min(self.cap_s, self.base_s * 2**self.failures)
        self.failures += 1
        return max(min(retry_after_s, self.cap_s), self.rng.uniform(0, ceiling))

    def reset(self) -> None:
        self.failures = 0
