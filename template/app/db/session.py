"""Engine and session lifecycle. Nothing here runs at import time: the app's lifespan owns it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.db.reads import InvalidValueError


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url,
            echo=settings.DB_ECHO,
            connect_args={"timeout": settings.DB_CONNECT_TIMEOUT_SECONDS},
        )
        event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        event.listen(engine.sync_engine, "handle_error", _refuse_unencodable_value)
        return engine
    connect_args: dict[str, Any] = {}
    if url.get_driver_name() == "asyncpg":
        connect_args = {
            "timeout": settings.DB_CONNECT_TIMEOUT_SECONDS,
            "command_timeout": settings.DB_COMMAND_TIMEOUT_SECONDS,
            "server_settings": {"application_name": settings.PROJECT_NAME[:63]},
        }
    engine = create_async_engine(
        url,
        echo=settings.DB_ECHO,
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=settings.DB_MAX_OVERFLOW,
        pool_timeout=settings.DB_POOL_TIMEOUT_SECONDS,
        pool_recycle=settings.DB_POOL_RECYCLE_SECONDS,
        pool_pre_ping=settings.DB_POOL_PRE_PING,
        connect_args=connect_args,
    )
    if url.get_driver_name() == "asyncpg":
        event.listen(engine.sync_engine, "checkout", _discard_closed_connection)
    event.listen(engine.sync_engine, "handle_error", _refuse_unencodable_value)
    return engine


def _discard_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A restarted server closes every pooled connection, and asyncpg sees the closed socket
    without a round trip: checking it here hands out a fresh connection instead of a dead one,
    at no cost per request (pool_pre_ping would add a SELECT 1 to every checkout)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("connection closed by the server")


def _refuse_unencodable_value(context: ExceptionContext) -> None:
    """A driver that raises the bare UnicodeEncodeError of a bound value (sqlite3 does, for an
    unpaired surrogate) gets it passed on as is by SQLAlchemy: raised as InvalidValueError, it
    is the request's fault (a 400), like asyncpg's DataError for the same value."""
    if isinstance(context.original_exception, UnicodeEncodeError):
        raise InvalidValueError("a bound value is not valid text") from context.original_exception


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed when the block succeeds, rolled back when it raises."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        if session.in_transaction():
            await session.commit()


async def ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
