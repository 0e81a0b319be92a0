"""Startup and shutdown: create the process-wide resources and release them.

Optional integrations add their own resources through lifespan hooks (see
app/bootstrap/integrations.py); they start after the core and stop before it.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

from fastapi import FastAPI

from app.core.config import Settings
from app.core.hooks import LifespanHook
from app.db.reads import RowReader
from app.db.session import create_engine, create_session_factory, ping_database
from app.services.health_service import HealthCheck, ReadinessProbe

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    hooks: list[LifespanHook] = app.state.lifespan_hooks
    engine = create_engine(settings)
    health_checks: dict[str, HealthCheck] = {"database": partial(ping_database, engine)}

    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    reader = RowReader(
        engine,
        concurrency=settings.DB_READ_POOL_SIZE,
        wait_seconds=settings.DB_POOL_TIMEOUT_SECONDS,
        recycle_seconds=settings.DB_POOL_RECYCLE_SECONDS,
        pre_ping=settings.DB_POOL_PRE_PING,
    )
    app.state.row_reader = reader
    # Integrations add their checks to this dict in their hooks; the probe reads it per check.
    app.state.health_checks = health_checks
    app.state.readiness_probe = ReadinessProbe(
        health_checks,
        limit_seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS,
        reuse_seconds=settings.HEALTH_CHECK_CACHE_SECONDS,
    )
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        stack.push_async_callback(reader.close)  # first: its connections are the engine's
        for hook in hooks:
            await stack.enter_async_context(hook(app))
        freeze_startup_objects()
        stack.callback(gc.unfreeze)
        logger.info(
            "service started",
            extra={"environment": settings.ENVIRONMENT.value, "version": settings.VERSION},
        )
        yield
    logger.info("service stopped")


def freeze_startup_objects() -> None:
    """Keep what startup built (modules, the app, pools) out of the cyclic garbage collector's
    scans. It lives as long as the process, yet every full collection, which a steady flow of
    requests triggers again and again, would walk all of it. No collection first: it would cost
    every start (tests start the app once per test), and the little garbage startup leaves is
    reclaimed at shutdown, when the lifespan unfreezes everything."""
    gc.freeze()
