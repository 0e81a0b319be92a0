"""The API side of the worker: opens the broker so routes can enqueue tasks, and answers what
enqueueing can meet: a queue that cannot be reached or is full (503), a user over their quota
(429)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from taskiq.exceptions import SendTaskError

from app.core.errors import error_response, handle_dependency_unavailable
from app.core.hooks import LifespanHook
from app.integrations.worker.broker import QueueFullError, broker
from app.integrations.worker.quota import HourlyUserQuota, QuotaExceededError
from app.integrations.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)

# A full queue drains as the workers run tasks; a client retrying sooner would find it full.
QUEUE_FULL_RETRY_AFTER_SECONDS = 30


def install(app: FastAPI, settings: WorkerSettings) -> LifespanHook:
    app.add_exception_handler(SendTaskError, handle_send_task_error)
    app.add_exception_handler(QuotaExceededError, handle_quota_exceeded)
    return open_broker_and_quotas


async def handle_send_task_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc.__cause__, QueueFullError):
        logger.warning("task refused: %s", exc.__cause__)
        return error_response(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "The task queue is full; try again later",
            {"Retry-After": str(QUEUE_FULL_RETRY_AFTER_SECONDS)},
        )
    # The queue lives in Redis: while it is down, enqueueing answers 503, not 500.
    return await handle_dependency_unavailable(request, exc)


async def handle_quota_exceeded(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, QuotaExceededError):  # registered for that type only
        raise exc
    return error_response(
        status.HTTP_429_TOO_MANY_REQUESTS,
        str(exc),
        {"Retry-After": str(exc.retry_after_seconds)},
    )


@asynccontextmanager
async def open_broker_and_quotas(app: FastAPI) -> AsyncIterator[None]:
    settings: WorkerSettings = app.state.settings
    # On the Redis client the redis integration opened before this one (wiring order).
    app.state.notification_quota = HourlyUserQuota(
        app.state.redis, settings, "notifications", settings.NOTIFICATIONS_PER_USER_PER_HOUR
    )
    await broker.startup()
    try:
        yield
    finally:
        await broker.shutdown()
