"""A bounded burst of clients on localhost: portal pages (signed-in customers) and ingest posts.

Each client is an asyncio task that sends one request at a time until the time is up; every
answer's status and latency is recorded per kind of request. Used by the load drill (short)
and by ``bench/load.py`` (the full minute).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import numpy as np

from tests.integration.drills.stack import (
    DRILL_EPOCH,
    DRILL_METER_COUNT,
    Deployment,
    Reading,
    csv_body,
    gateway_authorization,
)

PORTAL_USERS = ("demo", "demo2")


@dataclass
class Kind:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int | str, int] = field(default_factory=dict)

    def record(self, status: int | str, latency_s: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_s.append(latency_s)

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q) * 1000) if self.latencies_s else 0.0


@dataclass
class LoadResult:
    clients: int
    duration_s: float
    kinds: dict[str, Kind]
    sent_readings: list[Reading]
    accepted_readings: list[Reading]

    @property
    def requests(self) -> int:
        return sum(len(kind.latencies_s) for kind in self.kinds.values())

    @property
    def server_errors(self) -> dict[str, dict]:
        """5xx answers and failed connections, per kind of request."""
        return {
            name: {s: n for s, n in kind.statuses.items() if not isinstance(s, int) or s >= 500}
            for name, kind in self.kinds.items()
            if any(not isinstance(s, int) or s >= 500 for s in kind.statuses)
        }

    def table(self) -> str:
        lines = [
            f"{self.clients} clients for {self.duration_s:.0f} s: {self.requests} requests, "
            f"{self.requests / self.duration_s:.1f} requests/s",
            f"{'request':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses",
        ]
        for name, kind in self.kinds.items():
            lines.append(
                f"{name:<22}{len(kind.latencies_s):>7}{kind.percentile_ms(50):>9.0f}"
                f"{kind.percentile_ms(95):>9.0f}{kind.percentile_ms(99):>9.0f}  {kind.statuses}"
            )
        return "\n".join(lines)


def portal_paths(deployment: Deployment, username: str) -> dict[str, str]:
    """The portal pages a customer opens: home, a premise, a meter's latest, day and month."""
    premise_id, meter_id = deployment.query(
        "SELECT p.id, m.id FROM energy_premise p JOIN auth_user u ON u.id = p.owner_id "
        "JOIN energy_meter m ON m.premise_id = p.id WHERE u.username = %s "
        "AND m.serial NOT LIKE 'DRILL-%%' ORDER BY p.id, m.id LIMIT 1",
        [username],
    )[0]
    (last_day,) = deployment.query(
        "SELECT max(date) FROM energy_dailyusage WHERE meter_id = %s", [meter_id]
    )[0]
    return {
        "portal home": "/",
        "portal premise": f"/premises/{premise_id}/",
        "portal meter latest": f"/meters/{meter_id}/",
        "portal day": f"/meters/{meter_id}/day/{last_day.isoformat()}/",
        "portal month": f"/meters/{meter_id}/month/{last_day:%Y-%m}/",
        "portal recommendations": f"/premises/{premise_id}/recommendations/",
    }


async def _login(http: httpx.AsyncClient, username: str, password: str) -> None:
    page = await http.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError(f"no login form at /accounts/login/ ({page.status_code})")
    answer = await http.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": f"{http.base_url}accounts/login/"},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not sign in: {answer.status_code}")


def load_run(
    deployment: Deployment,
    *,
    clients: int,
    duration_s: float,
    ingest_share: float = 0.2,
    password: str,
    day_offset: int = 0,
) -> LoadResult:
    """Run the burst; ``ingest_share`` of the clients post readings, the rest read pages."""
    return asyncio.run(
        _load(
            deployment,
            clients=clients,
            duration_s=duration_s,
            ingest_share=ingest_share,
            password=password,
            day_offset=day_offset,
        )
    )


async def _load(deployment, *, clients, duration_s, ingest_share, password, day_offset):
    # Idle connections are dropped before gunicorn's keep-alive (5 s) closes them: otherwise a
    # request may go out on a connection the server is closing at that moment (a client-side
    # race, not a server error).
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0
    )
    timeout = httpx.Timeout(120.0)
    kinds: dict[str, Kind] = {}
    sent: list[Reading] = []
    accepted: list[Reading] = []
    # Each ingest post carries one meter's day (48 half-hours) that no other post carries,
    # counting back from the drill epoch (always in the past, clear of the other drills' days).
    days = itertools.count(day_offset)

    portal = {}
    for username in PORTAL_USERS:
        http = httpx.AsyncClient(base_url=deployment.base_url, limits=limits, timeout=timeout)
        await _login(http, username, password)
        portal[username] = (http, list(portal_paths(deployment, username).items()))
    ingest = httpx.AsyncClient(
        base_url=deployment.base_url,
        limits=limits,
        timeout=timeout,
        headers={"Authorization": gateway_authorization(deployment), "Content-Type": "text/csv"},
    )

    async def timed(name: str, request) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            kinds.setdefault(name, Kind()).record(type(exc).__name__, time.perf_counter() - started)
            return None
        kinds.setdefault(name, Kind()).record(response.status_code, time.perf_counter() - started)
        return response

    async def portal_client(n: int, deadline: float) -> None:
        http, pages = portal[PORTAL_USERS[n % len(PORTAL_USERS)]]
        for i in itertools.count(n):
            if time.monotonic() >= deadline:
                return
            name, path = pages[i % len(pages)]
            await timed(name, http.get(path, follow_redirects=False))

    async def ingest_client(n: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            day = next(days)
            meter = f"DRILL-{day % DRILL_METER_COUNT + 1:04d}"
            first = DRILL_EPOCH - timedelta(days=1 + day // DRILL_METER_COUNT)
            readings = [
                (meter, first + timedelta(minutes=30 * i), round(0.1 + (day * 7 + i) % 90 / 100, 3))
                for i in range(48)
            ]
            sent.extend(readings)
            response = await timed(
                "ingest post",
                ingest.post(
                    "/api/v1/ingest/readings/",
                    content=csv_body(readings),
                    headers={"Idempotency-Key": f"load-{day}"},
                ),
            )
            if response is not None and response.status_code == 202:
                accepted.extend(readings)

    started = time.monotonic()
    deadline = started + duration_s
    ingest_clients = round(clients * ingest_share)
    try:
        await asyncio.gather(
            *(ingest_client(n, deadline) for n in range(ingest_clients)),
            *(portal_client(n, deadline) for n in range(clients - ingest_clients)),
        )
    finally:
        await ingest.aclose()
        for http, _ in portal.values():
            await http.aclose()
    return LoadResult(
        clients=clients,
        duration_s=time.monotonic() - started,
        kinds=dict(sorted(kinds.items())),
        sent_readings=sent,
        accepted_readings=accepted,
    )
