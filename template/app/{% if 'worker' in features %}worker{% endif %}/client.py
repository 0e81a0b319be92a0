"""The API side of the worker: opens the broker so routes can enqueue tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.config import Settings
from app.core.lifespan import LifespanHook
from app.worker.broker import broker


def install(app: FastAPI, settings: Settings) -> LifespanHook:
    return open_broker


@asynccontextmanager
async def open_broker(app: FastAPI) -> AsyncIterator[None]:
    await broker.startup()
    try:
        yield
    finally:
        await broker.shutdown()
