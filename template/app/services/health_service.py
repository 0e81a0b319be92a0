"""Readiness: run every dependency check at once, each bounded by a timeout.

ReadinessProbe bounds what readiness costs the dependencies: probes that arrive while a check
runs wait for that check, and its result answers further probes for `reuse_seconds`. However
many callers (several kubelets, load balancers, a scanner), each dependency sees at most one
ping per interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from app.core.errors import DependencyDownError
from app.schemas.health import CheckResult, Readiness

HealthCheck = Callable[[], Awaitable[None]]
Clock = Callable[[], float]

logger = logging.getLogger(__name__)


async def check_readiness(checks: Mapping[str, HealthCheck], limit_seconds: float) -> Readiness:
    results = await asyncio.gather(
        *(_run(name, check, limit_seconds) for name, check in checks.items())
    )
    by_name = dict(zip(checks, results, strict=True))
    healthy = all(result.status == "up" for result in results)
    return Readiness(status="healthy" if healthy else "degraded", checks=by_name)


async def _run(name: str, check: HealthCheck, limit_seconds: float) -> CheckResult:
    started = time.perf_counter()
    error: str | None = None
    try:
        async with asyncio.timeout(limit_seconds):
            await check()
    except TimeoutError:
        error = f"timed out after {limit_seconds:g}s"
    except DependencyDownError as exc:
        error = type(exc).__name__
        logger.warning("health check %s failed: %s", name, exc)
    except Exception as exc:
        # The class name is enough for the probe; the detail goes to the log only.
        error = type(exc).__name__
        logger.warning("health check %s failed", name, exc_info=True)
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    if error is not None:
        return CheckResult(status="down", latency_ms=latency_ms, error=error)
    return CheckResult(status="up", latency_ms=latency_ms)


class ReadinessProbe:
    def __init__(
        self,
        checks: Mapping[str, HealthCheck],
        *,
        limit_seconds: float,
        reuse_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._checks = checks
        self._limit_seconds = limit_seconds
        self._reuse_seconds = reuse_seconds
        self._clock = clock
        self._in_flight: asyncio.Task[Readiness] | None = None
        self._last: Readiness | None = None
        self._last_at = 0.0

    async def check(self) -> Readiness:
        if self._last is not None and self._clock() - self._last_at < self._reuse_seconds:
            return self._last
        if self._in_flight is None:
            self._in_flight = asyncio.create_task(self._check_once())
        # Shielded: a probe that gives up (its client disconnected) must not cancel the check
        # the other probes are waiting for.
        return await asyncio.shield(self._in_flight)

    async def _check_once(self) -> Readiness:
        try:
            report = await check_readiness(self._checks, self._limit_seconds)
            self._last, self._last_at = report, self._clock()
            return report
        finally:
            self._in_flight = None
