"""Providers of the process-wide resources the lifespan created (settings, database, hasher).

All are `async def`: FastAPI runs a plain `def` dependency in a worker thread, and that
hand-off would cost more than the dependency itself on every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import cast

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.security import PasswordHasher
from app.db.reads import RowReader
from app.db.session import session_scope
from app.services.health_service import HealthCheck
from app.services.identity_service import IdentityService


async def get_app_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_password_hasher(request: Request) -> PasswordHasher:
    return cast(PasswordHasher, request.app.state.password_hasher)


async def get_row_reader(request: Request) -> RowReader:
    return cast(RowReader, request.app.state.row_reader)


async def get_identity_service(request: Request) -> IdentityService:
    return cast(IdentityService, request.app.state.identity_service)


async def get_health_checks(request: Request) -> Mapping[str, HealthCheck]:
    return cast(Mapping[str, HealthCheck], request.app.state.health_checks)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A unit of work: committed when the route returns, rolled back when it raises."""
    factory = cast(async_sessionmaker[AsyncSession], request.app.state.session_factory)
    async with session_scope(factory) as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For routes and dependencies that only read (see create_read_session_factory)."""
    factory = cast(async_sessionmaker[AsyncSession], request.app.state.read_session_factory)
    async with factory() as session:
        yield session
