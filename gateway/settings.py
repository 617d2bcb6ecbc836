"""The gateway's settings: each from a command-line option, else an environment variable, else
the default below. docs/gateway.md lists them with what each is for."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from pathlib import Path


class SettingsError(ValueError):
    """A setting that cannot work, with the reason."""


@dataclass(frozen=True)
class GatewaySettings:
    # Where and as whom.
    url: str = "http://127.0.0.1:8000"
    api_key: str = ""
    auth_scheme: str = "Bearer"
    # What it reads: "csv:PATH" (a file being appended to, header meter,ts,value) or
    # "simulated:SERIAL[,SERIAL...]" (meters that produce a reading every interval).
    source: str = ""
    simulated_interval_minutes: int = 30
    # A simulated meter's clock runs this many times faster than real time (demos, tests).
    simulated_speed: float = 1.0
    # The local buffer (SQLite) and its bound.
    buffer_path: Path = Path("shoene-gateway.sqlite3")
    max_buffered_readings: int = 500_000
    # When the buffer is full: "pause" stops reading the source (a CSV file keeps its data,
    # a simulated meter catches up later): nothing is dropped. "drop-oldest" keeps reading and
    # drops the oldest unsent readings, logging each drop (meter, interval range, count).
    on_full: str = "pause"
    # Sending.
    batch_max_readings: int = 2_000
    # A partial batch goes out once its oldest reading has waited this long.
    batch_max_wait_s: float = 5.0
    poll_interval_s: float = 1.0
    # Connect, read and write timeouts of one request.
    request_timeout_s: float = 30.0
    # Retries: exponential backoff from base to cap, with full jitter; a server's Retry-After
    # is waited at least.
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 300.0
    # After this many failures in a row the circuit opens: no request for breaker_open_s, then
    # one trial request (half-open) decides whether it closes again.
    breaker_failures: int = 5
    breaker_open_s: float = 60.0
    status_every_s: float = 60.0

    def __post_init__(self) -> None:
        if self.on_full not in ("pause", "drop-oldest"):
            raise SettingsError(f"on_full must be 'pause' or 'drop-oldest', not {self.on_full!r}")
        if not self.source.startswith(("csv:", "simulated:")):
            raise SettingsError(
                f"source must be 'csv:PATH' or 'simulated:SERIAL,...', not {self.source!r}"
            )
        if not self.url.startswith(("http://", "https://")):
            raise SettingsError(f"url must start with http:// or https://, not {self.url!r}")
        for name in ("batch_max_readings", "max_buffered_readings", "breaker_failures"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1")
        if self.max_buffered_readings < self.batch_max_readings:
            raise SettingsError("max_buffered_readings must be at least batch_max_readings")
        for name in ("backoff_base_s", "backoff_cap_s", "request_timeout_s", "poll_interval_s"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be more than 0")

    @property
    def authorization(self) -> str:
        return f"{self.auth_scheme} {self.api_key}"


def env_name(field_name: str) -> str:
    return f"SHOENE_GATEWAY_{field_name.upper()}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for f in fields(GatewaySettings):
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            dest=f.name,
            default=None,
            help=f"(env {env_name(f.name)}; default {f.default})",
        )


def settings_from(
    args: argparse.Namespace, environ: dict[str, str] | None = None
) -> GatewaySettings:
    """Options first, then SHOENE_GATEWAY_* variables, then the defaults."""
    environ = os.environ if environ is None else environ
    values = {}
    for f in fields(GatewaySettings):
        raw = getattr(args, f.name, None)
        if raw is None:
            raw = environ.get(env_name(f.name))
        if raw is None:
            continue
        kind = type(f.default)
        try:
            values[f.name] = kind(raw)
        except ValueError:
            raise SettingsError(f"{f.name} must be a {kind.__name__}, not {raw!r}") from None
    return GatewaySettings(**values)
