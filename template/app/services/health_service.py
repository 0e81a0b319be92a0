"""Readiness: run every dependency check at once, each bounded by a timeout."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from app.schemas.health import CheckResult, Readiness

HealthCheck = Callable[[], Awaitable[None]]

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
    except Exception as exc:
        # The class name is enough for the probe; the detail goes to the log only.
        error = type(exc).__name__
        logger.warning("health check %s failed", name, exc_info=True)
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    if error is not None:
        return CheckResult(status="down", latency_ms=latency_ms, error=error)
    return CheckResult(status="up", latency_ms=latency_ms)
