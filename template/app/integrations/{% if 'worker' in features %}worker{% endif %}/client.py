"""The API side of the worker: opens the broker so routes can enqueue tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from taskiq.exceptions import SendTaskError

from app.core.errors import handle_dependency_unavailable
from app.core.hooks import LifespanHook
from app.integrations.worker.broker import broker
from app.integrations.worker.settings import WorkerSettings


def install(app: FastAPI, settings: WorkerSettings) -> LifespanHook:
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
