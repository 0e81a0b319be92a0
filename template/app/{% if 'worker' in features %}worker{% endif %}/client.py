"""The API side of the worker: opens the broker so routes can enqueue tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from taskiq.exceptions import SendTaskError

from app.core.config import Settings
from app.core.lifespan import LifespanHook
from app.middleware.error_handler import handle_dependency_unavailable
from app.worker.broker import broker


def install(app: FastAPI, settings: Settings) -> LifespanHook:
    # The queue lives in Redis: while it is down, enqueueing answers 503, not 500.
    app.add_exception_handler(SendTaskError, handle_dependency_unavailable)
    return open_broker


@asynccontextmanager
async def open_broker(app: FastAPI) -> AsyncIterator[None]:
    await broker.startup()
    try:
        yield
    finally:
        await broker.shutdown()
