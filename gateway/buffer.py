"""The gateway's local buffer: every reading is written here (SQLite, on disk) before it is sent.

Readings keep the order they were read in (``seq``). A batch is a run of consecutive readings
with an idempotency key, fixed when the batch is first formed and kept until the server
confirms it, so a batch sent again after a timeout or a restart is byte for byte the same
request and the server answers with the batch it already has. Confirmed readings are deleted;
the source's position is saved in the same transaction as the readings it produced, so a
restart neither reads a line twice nor skips one.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS reading (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    meter TEXT NOT NULL,
    ts TEXT NOT NULL,
    value REAL NOT NULL,
    read_at REAL NOT NULL,  -- when the gateway read it (Unix time): a partial batch's age
    batch_key TEXT
);
CREATE INDEX IF NOT EXISTS reading_batch ON reading (batch_key);
CREATE TABLE IF NOT EXISTS batch (
    key TEXT PRIMARY KEY,
    formed_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
-- Readings the server refused as invalid (4xx): kept for the operator, never resent.
CREATE TABLE IF NOT EXISTS refused (
    meter TEXT NOT NULL, ts TEXT NOT NULL, value REAL NOT NULL,
    batch_key TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL
);
-- What the buffer dropped when full under on_full=drop-oldest: one row per drop and meter.
CREATE TABLE IF NOT EXISTS dropped (
    meter TEXT NOT NULL, first_ts TEXT NOT NULL, last_ts TEXT NOT NULL,
    count INTEGER NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

BufferedReading = tuple[str, str, float]  # (meter serial, ISO 8601 interval start, value)


@dataclass(frozen=True)
class Batch:
    key: str
    readings: list[BufferedReading]
    attempts: int

    def body(self) -> bytes:
        """The request body: the same bytes every time this batch is sent."""
        document = {"readings": [{"meter": m, "ts": ts, "value": v} for m, ts, v in self.readings]}
        return json.dumps(document, separators=(",", ":")).encode()


@dataclass(frozen=True)
class BufferStatus:
    buffered: int
    in_open_batch: int
    capacity: int
    confirmed_total: int
    refused_total: int
    dropped_total: int
    dropped: list[dict]
    oldest_ts: str | None

    def as_dict(self) -> dict:
        return self.__dict__ | {"nothing_dropped": self.dropped_total == 0}


class Buffer:
    def __init__(self, path: Path, *, capacity: int | None = None) -> None:
        """``capacity`` None: the one the running gateway set (for ``status``)."""
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        # FULL: a reading the source moved past is on disk before the source's new position.
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        if capacity is not None:
            self._set("capacity", str(capacity))
        self.capacity = int(self._get("capacity") or 0)

    def close(self) -> None:
        self.db.close()

    # --- the source's side --------------------------------------------------------------

    def add(self, readings: list[BufferedReading], *, source_state: str) -> None:
        """Store readings and the source position after them, in one transaction."""
        with self._transaction():
            read_at = time.time()
            self.db.executemany(
                "INSERT INTO reading (meter, ts, value, read_at) VALUES (?, ?, ?, ?)",
                [(*reading, read_at) for reading in readings],
            )
            self._set("source_state", source_state)

    def source_state(self) -> str | None:
        return self._get("source_state")

    def room(self) -> int:
        return self.capacity - self.count()

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM reading").fetchone()[0]

    def drop_oldest(self, count: int) -> list[dict]:
        """Drop the ``count`` oldest readings not in a batch being sent; say what went."""
        rows = self.db.execute(
            "SELECT seq, meter, ts FROM reading WHERE batch_key IS NULL ORDER BY seq LIMIT ?",
            (count,),
        ).fetchall()
        if not rows:
            return []
        per_meter: dict[str, list[str]] = {}
        for _seq, meter, ts in rows:
            per_meter.setdefault(meter, []).append(ts)
        now = _now()
        summary = [
            {"meter": meter, "first_ts": min(stamps), "last_ts": max(stamps), "count": len(stamps)}
            for meter, stamps in per_meter.items()
        ]
        with self._transaction():
            self.db.execute(
                "DELETE FROM reading WHERE batch_key IS NULL AND seq <= ?", (rows[-1][0],)
            )
            self.db.executemany(
                "INSERT INTO dropped (meter, first_ts, last_ts, count, at) VALUES (?, ?, ?, ?, ?)",
                [(s["meter"], s["first_ts"], s["last_ts"], s["count"], now) for s in summary],
            )
            self._add_to("dropped_total", len(rows))
        return summary

    # --- the sender's side --------------------------------------------------------------

    def next_batch(self, *, max_readings: int, max_wait_s: float) -> Batch | None:
        """The batch to send: the one already formed, else a new one from the oldest readings.

        A new partial batch is formed only once its oldest reading has waited ``max_wait_s``.
        """
        row = self.db.execute(
            "SELECT key, attempts FROM batch ORDER BY formed_at LIMIT 1"
        ).fetchone()
        if row is not None:
            return Batch(row[0], self._readings_of(row[0]), row[1])
        pending, oldest_read_at = self.db.execute(
            "SELECT count(*), min(read_at) FROM reading WHERE batch_key IS NULL"
        ).fetchone()
        if pending == 0:
            return None
        if pending < max_readings and time.time() - oldest_read_at < max_wait_s:
            return None
        key = f"gw-{uuid.uuid4()}"
        with self._transaction():
            self.db.execute(
                "UPDATE reading SET batch_key = ? WHERE seq IN "
                "(SELECT seq FROM reading WHERE batch_key IS NULL ORDER BY seq LIMIT ?)",
                (key, max_readings),
            )
            self.db.execute("INSERT INTO batch (key, formed_at) VALUES (?, ?)", (key, _now()))
        return Batch(key, self._readings_of(key), 0)

    def confirm(self, key: str) -> int:
        """The server accepted the batch: forget its readings. Returns how many."""
        with self._transaction():
            count = self.db.execute("DELETE FROM reading WHERE batch_key = ?", (key,)).rowcount
            self.db.execute("DELETE FROM batch WHERE key = ?", (key,))
            self._add_to("confirmed_total", count)
        return count

    def refuse(self, key: str, reason: str) -> int:
        """The server refused the batch as invalid: keep its readings aside, never resend."""
        now = _now()
        with self._transaction():
            self.db.execute(
                "INSERT INTO refused (meter, ts, value, batch_key, reason, at) "
                "SELECT meter, ts, value, batch_key, ?, ? FROM reading WHERE batch_key = ?",
                (reason[:2000], now, key),
            )
            count = self.db.execute("DELETE FROM reading WHERE batch_key = ?", (key,)).rowcount
            self.db.execute("DELETE FROM batch WHERE key = ?", (key,))
            self._add_to("refused_total", count)
        return count

    def failed_attempt(self, key: str, error: str) -> None:
        self.db.execute(
            "UPDATE batch SET attempts = attempts + 1, last_error = ? WHERE key = ?",
            (error[:500], key),
        )

    def status(self) -> BufferStatus:
        dropped = [
            dict(zip(("meter", "first_ts", "last_ts", "count", "at"), row, strict=True))
            for row in self.db.execute(
                "SELECT meter, first_ts, last_ts, count, at FROM dropped "
                "ORDER BY rowid DESC LIMIT 20"
            )
        ]
        return BufferStatus(
            buffered=self.count(),
            in_open_batch=self.db.execute(
                "SELECT count(*) FROM reading WHERE batch_key IS NOT NULL"
            ).fetchone()[0],
            capacity=self.capacity,
            confirmed_total=int(self._get("confirmed_total") or 0),
            refused_total=int(self._get("refused_total") or 0),
            dropped_total=int(self._get("dropped_total") or 0),
            dropped=dropped,
            oldest_ts=self.db.execute("SELECT min(ts) FROM reading").fetchone()[0],
        )

    # --- helpers ---------------------------------------------------------------------------

    def _readings_of(self, key: str) -> list[BufferedReading]:
        return [
            (meter, ts, value)
            for meter, ts, value in self.db.execute(
                "SELECT meter, ts, value FROM reading WHERE batch_key = ? ORDER BY seq", (key,)
            )
        ]

    def _transaction(self):
        return _Transaction(self.db)

    def _get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _add_to(self, key: str, count: int) -> None:
        self._set(key, str(int(self._get(key) or 0) + count))


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _now() -> str:
    return datetime.now(UTC).isoformat()
