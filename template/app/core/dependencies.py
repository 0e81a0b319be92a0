"""Providers of the process-wide resources the lifespan created (settings, database, hasher)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import cast

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.security import PasswordHasher
from app.db.session import session_scope
from app.services.health_service import HealthCheck


def get_app_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_password_hasher(request: Request) -> PasswordHasher:
    return cast(PasswordHasher, request.app.state.password_hasher)


def get_health_checks(request: Request) -> Mapping[str, HealthCheck]:
    return cast(Mapping[str, HealthCheck], request.app.state.health_checks)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory = cast(async_sessionmaker[AsyncSession], request.app.state.session_factory)
    async with session_scope(factory) as session:
        yield session
