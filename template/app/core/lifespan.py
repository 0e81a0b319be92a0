"""Startup and shutdown: create the process-wide resources and release them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from app.core.config import Settings
from app.core.security import PasswordHasher
from app.db.session import create_engine, create_session_factory, ping_database
from app.services.health_service import HealthCheck

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    hasher = PasswordHasher(
        time_cost=settings.PASSWORD_HASH_TIME_COST,
        memory_cost_kib=settings.PASSWORD_HASH_MEMORY_COST_KIB,
        parallelism=settings.PASSWORD_HASH_PARALLELISM,
    )
    await hasher.prepare()
    health_checks: dict[str, HealthCheck] = {"database": partial(ping_database, engine)}

    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    app.state.password_hasher = hasher
    app.state.health_checks = health_checks
    logger.info(
        "service started",
        extra={"environment": settings.ENVIRONMENT.value, "version": settings.VERSION},
    )
    try:
        yield
    finally:
        await engine.dispose()
        logger.info("service stopped")
