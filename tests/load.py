"""A bounded load driver for the reliability tests: asyncio + httpx, loopback only.

`connections` workers, each with its own httpx client holding one keep-alive connection, send GET
requests to one URL until `seconds` have passed or `max_requests` have been sent, whichever comes
first; every request is bounded by a 5 s timeout. It proves "no errors under N concurrent
clients", not speed: Python on a small machine drives a few thousand requests per second at most
(bench/run.py measures throughput, with wrk).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

REQUEST_TIMEOUT_SECONDS = 5.0
_KEPT_FAILURES = 5


@dataclass
class Load:
    requests: int  # answered requests, whatever their status
    rps: float  # answered requests per second of the run
    p50_ms: float  # latency percentiles of the answered requests (nan when none was answered)
    p99_ms: float
    errors: int  # transport errors and timeouts: no answer at all
    non_2xx: int
    seconds: float  # how long the run took
    failures: list[str] = field(default_factory=list)  # the first few errors and non-2xx answers


@dataclass
class _Tally:
    limit: int
    sent: int = 0
    errors: int = 0
    non_2xx: int = 0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, description: str) -> None:
        if len(self.failures) < _KEPT_FAILURES:
            self.failures.append(description)


def load(
    url: str,
    seconds: float,
    *,
    headers: dict[str, str] | None = None,
    connections: int = 64,
    max_requests: int = 200_000,
) -> Load:
    """GET `url` from `connections` concurrent clients for at most `seconds` and `max_requests`."""
    _require_loopback(url)
    if seconds <= 0 or connections < 1 or max_requests < 1:
        raise ValueError("seconds, connections and max_requests must be positive")
    return asyncio.run(_run(url, seconds, headers or {}, connections, max_requests))


def _require_loopback(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname or ""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"load only targets loopback (127.0.0.0/8, localhost, ::1), not {url!r}")


async def _run(
    url: str, seconds: float, headers: dict[str, str], connections: int, max_requests: int
) -> Load:
    tally = _Tally(limit=max_requests)
    # One TLS context for all clients: building one per client costs about 20 ms each.
    tls = httpx.create_ssl_context()
    async with AsyncExitStack() as clients:
        # One client per worker, each with one keep-alive connection (reopened only after an
        # error): `connections` concurrent connections, as a shared pool would not guarantee.
        workers = [
            await clients.enter_async_context(
                httpx.AsyncClient(
                    headers=headers,
                    timeout=REQUEST_TIMEOUT_SECONDS,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                    verify=tls,
                    trust_env=False,  # no proxy from the environment: requests go to `url`
                )
            )
            for _ in range(connections)
        ]
        started = time.monotonic()
        deadline = started + seconds
        # Each request stops by the deadline plus its timeout; this only guards against a bug.
        await asyncio.wait_for(
            asyncio.gather(*(_worker(client, url, deadline, tally) for client in workers)),
            timeout=seconds + REQUEST_TIMEOUT_SECONDS + 10,
        )
        elapsed = time.monotonic() - started
    latencies = sorted(tally.latencies)
    return Load(
        requests=len(latencies),
        rps=round(len(latencies) / elapsed, 1),
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        errors=tally.errors,
        non_2xx=tally.non_2xx,
        seconds=round(elapsed, 3),
        failures=tally.failures,
    )


async def _worker(client: httpx.AsyncClient, url: str, deadline: float, tally: _Tally) -> None:
    while time.monotonic() < deadline and tally.sent < tally.limit:
        tally.sent += 1  # one event loop: no other worker runs between the check and this
        started = time.perf_counter()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                response = await client.get(url)
        except (httpx.HTTPError, TimeoutError, OSError) as error:
            tally.errors += 1
            tally.fail(f"{type(error).__name__}: {error}")
            continue
        tally.latencies.append((time.perf_counter() - started) * 1000)
        if not response.is_success:
            tally.non_2xx += 1
            tally.fail(f"HTTP {response.status_code}: {response.text[:200]}")


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list, in milliseconds to 0.01."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1], 2)
