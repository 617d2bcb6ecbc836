"""The gateway's loop: read the source into the buffer, send the oldest batch when due."""

from __future__ import annotations

import logging
import threading
import time

import httpx

from gateway.buffer import Buffer
from gateway.sender import Backoff, CircuitBreaker, Result, batch_send
from gateway.settings import GatewaySettings
from gateway.sources import source_for

logger = logging.getLogger("shoene.gateway")

# Readings taken from the source per pass, so sending is never starved by a long backlog.
READ_CHUNK = 5_000


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.buffer = Buffer(settings.buffer_path, capacity=settings.max_buffered_readings)
        self.source = source_for(
            settings.source,
            interval_minutes=settings.simulated_interval_minutes,
            speed=settings.simulated_speed,
        )
        self.breaker = CircuitBreaker(
            failures=settings.breaker_failures, open_s=settings.breaker_open_s
        )
        self.backoff = Backoff(base_s=settings.backoff_base_s, cap_s=settings.backoff_cap_s)
        self.http = httpx.Client(
            base_url=settings.url.rstrip("/"), timeout=settings.request_timeout_s
        )
        self.next_send_at = 0.0
        self.paused = False
        self.stop = threading.Event()

    def run(self) -> None:
        status = self.buffer.status()
        logger.info(
            "gateway started: %d readings buffered (%d in a batch awaiting confirmation), "
            "%d confirmed so far, source %s",
            status.buffered,
            status.in_open_batch,
            status.confirmed_total,
            self.settings.source,
        )
        last_status = time.monotonic()
        try:
            while not self.stop.is_set():
                self.read_once()
                sent = self.send_once()
                if time.monotonic() - last_status >= self.settings.status_every_s:
                    self.log_status()
                    last_status = time.monotonic()
                if not sent:
                    self.stop.wait(self.settings.poll_interval_s)
        finally:
            self.log_status()
            self.http.close()
            self.buffer.close()

    def read_once(self) -> int:
        room = self.buffer.room()
        if room <= 0 and self.settings.on_full == "pause":
            if not self.paused:
                logger.warning(
                    "buffer full (%d readings): reading paused, nothing dropped; it resumes "
                    "where it stopped once the server confirms batches",
                    self.buffer.capacity,
                )
                self.paused = True
            return 0
        if self.paused:
            logger.info("buffer has room again: reading resumed")
            self.paused = False
        limit = READ_CHUNK if self.settings.on_full == "drop-oldest" else min(READ_CHUNK, room)
        readings, state = self.source.read(self.buffer.source_state(), limit=limit)
        if not readings:
            return 0
        if self.settings.on_full == "drop-oldest" and len(readings) > room:
            for drop in self.buffer.drop_oldest(len(readings) - max(room, 0)):
                logger.error(
                    "buffer full: dropped %d readings of meter %s from %s to %s",
                    drop["count"],
                    drop["meter"],
                    drop["first_ts"],
                    drop["last_ts"],
                )
        self.buffer.add(readings, source_state=state)
        return len(readings)

    def send_once(self) -> bool:
        """Send the due batch if any; True when one was confirmed (more may be waiting)."""
        if time.monotonic() < self.next_send_at or not self.breaker.allows():
            return False
        batch = self.buffer.next_batch(
            max_readings=self.settings.batch_max_readings,
            max_wait_s=self.settings.batch_max_wait_s,
        )
        if batch is None:
            return False
        answer = batch_send(self.http, batch, settings=self.settings)
        if answer.result is Result.CONFIRMED:
            count = self.buffer.confirm(batch.key)
            if self.breaker.failures or batch.attempts:
                logger.info("server reachable again: batch %s confirmed", batch.key)
            self.breaker.success()
            self.backoff.reset()
            logger.debug("batch %s confirmed: %d readings", batch.key, count)
            return True
        if answer.result is Result.REFUSED:
            count = self.buffer.refuse(batch.key, answer.detail)
            logger.error(
                "batch %s refused by the server (%s): its %d readings are kept aside in the "
                "buffer's refused table and not sent again",
                batch.key,
                answer.detail,
                count,
            )
            return True
        self.buffer.failed_attempt(batch.key, answer.detail)
        wait_s = self.backoff.next_wait_s(retry_after_s=answer.retry_after_s)
        self.next_send_at = time.monotonic() + wait_s
        if self.breaker.failure():
            logger.warning(
                "circuit open after %d failures in a row (%s): no request for %.0f s",
                self.breaker.failures,
                answer.detail,
                self.settings.breaker_open_s,
            )
        else:
            logger.warning(
                "batch %s not sent (%s); next try in %.1f s", batch.key, answer.detail, wait_s
            )
        return False

    def log_status(self) -> None:
        status = self.buffer.status()
        dropped = (
            "nothing dropped"
            if status.dropped_total == 0
            else f"{status.dropped_total} readings dropped (see `shoene-gateway status`)"
        )
        logger.info(
            "buffer %d/%d readings, %d confirmed, %d refused, %s; circuit %s",
            status.buffered,
            status.capacity,
            status.confirmed_total,
            status.refused_total,
            dropped,
            self.breaker.state,
        )
