"""Meter sources: where the gateway reads readings from. Each reads from a saved position (a
string the buffer stores with the readings) and returns the readings and the new position."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.buffer import BufferedReading

logger = logging.getLogger("shoene.gateway")

CSV_HEADER = ["meter", "ts", "value"]


class CsvTailSource:
    """A CSV file (header ``meter,ts,value``) that a meter or logger keeps appending to.

    Only complete lines are read (a line still being written waits for its newline). The
    position is the byte offset after the last complete line read. A line that cannot be read
    is logged with its offset and skipped; the server would refuse it anyway.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self, state: str | None, *, limit: int) -> tuple[list[BufferedReading], str]:
        offset = int(json.loads(state)["offset"]) if state else 0
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return [], state or json.dumps({"offset": 0})
        if size < offset:
            logger.warning(
                "%s is shorter (%d bytes) than the position read (%d): it was replaced; "
                "reading it from the start",
                self.path,
                size,
                offset,
            )
            offset = 0
        readings: list[BufferedReading] = []
        with self.path.open("rb") as file:
            file.seek(offset)
            while len(readings) < limit:
                line = file.readline()
                if not line.endswith(b"\n"):
                    break  # end of file, or a line still being written
                line_offset, offset = offset, offset + len(line)
                reading = self._parse(line, line_offset)
                if reading is not None:
                    readings.append(reading)
        return readings, json.dumps({"offset": offset})

    def _parse(self, line: bytes, offset: int) -> BufferedReading | None:
        try:
            fields = next(csv.reader(io.StringIO(line.decode("utf-8-sig"))), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            logger.error("%s at byte %d: unreadable line skipped (%s)", self.path, offset, exc)
            return None
        if not fields or [f.strip().lower() for f in fields[:3]] == CSV_HEADER:
            return None  # blank line or the header
        try:
            meter, ts, value = (f.strip() for f in fields[:3])
            when = datetime.fromisoformat(ts)
            number = float(value)
            if when.tzinfo is None or not math.isfinite(number):
                raise ValueError("a time zone and a finite value are needed")
        except ValueError as exc:
            logger.error("%s at byte %d: line skipped: %r (%s)", self.path, offset, line, exc)
            return None
        return (meter, when.isoformat(), number)


class SimulatedMeterSource:
    """Meters that produce one reading per interval: for demos and tests without hardware.

    Readings are labelled by their interval start and produced once the interval has ended.
    The position is the last interval produced, so after a pause or restart the meters catch
    up (a real smart meter keeps weeks of intervals in its own memory). ``speed`` > 1 runs
    the meters' clock faster than real time, from the moment the gateway first started.
    """

    def __init__(self, serials: list[str], *, interval_minutes: int, speed: float) -> None:
        self.serials = serials
        self.interval = timedelta(minutes=interval_minutes)
        self.speed = speed

    def read(self, state: str | None, *, limit: int) -> tuple[list[BufferedReading], str]:
        if state:
            saved = json.loads(state)
            started_wall = saved["started_wall"]
            started_clock = datetime.fromisoformat(saved["started_clock"])
            last = datetime.fromisoformat(saved["last"])
        else:
            started_wall = time.time()
            started_clock = _floor(datetime.now(UTC), self.interval)
            last = started_clock - self.interval
        clock = started_clock + timedelta(seconds=(time.time() - started_wall) * self.speed)
        readings: list[BufferedReading] = []
        while last + 2 * self.interval <= clock and len(readings) + len(self.serials) <= limit:
            last += self.interval
            for n, serial in enumerate(self.serials):
                readings.append((serial, last.isoformat(), _simulated_value(last, n)))
        state = {
            "started_wall": started_wall,
            "started_clock": started_clock.isoformat(),
            "last": last.isoformat(),
        }
        return readings, json.dumps(state)


def _floor(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return epoch + (moment - epoch) // step * step


def _simulated_value(interval_start: datetime, meter_index: int) -> float:
    # A household: a standby baseload with morning and evening peaks (local time UTC+9).
    hour = (interval_start.hour + 9) % 24
    peak = 0.6 if hour in (7, 8, 18, 19, 20, 21) else 0.0
    return round(0.12 + 0.02 * meter_index + peak + 0.05 * math.sin(interval_start.minute), 3)


def source_for(spec: str, *, interval_minutes: int, speed: float):
    kind, _, rest = spec.partition(":")
    if kind == "csv":
        return CsvTailSource(Path(rest))
    serials = [serial.strip() for serial in rest.split(",") if serial.strip()]
    return SimulatedMeterSource(serials, interval_minutes=interval_minutes, speed=speed)
