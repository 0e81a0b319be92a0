"""RowReader on the configured database; the connection-loss cases need PostgreSQL.

The suite's SQLite run skips those; its PostgreSQL run (TEST_DATABASE_URL) must run them all.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import bindparam, func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bootstrap.settings import AppSettings
from app.db.reads import DatabaseUnavailableError, RowReader
from app.db.session import create_engine
from app.models.user import User

_USERNAME_BY_ID = select(User.username).where(User.id == bindparam("user_id"))
_ONE = select(literal(1).label("one"))
_SLOW = select(func.pg_sleep(0.5).label("slept"))
_KILL_OWN_CONNECTION = select(func.pg_terminate_backend(func.pg_backend_pid()).label("killed"))


@pytest.fixture
async def engine(settings: AppSettings, migrated_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A private engine, so dropping its connections cannot disturb other tests."""
    private = create_engine(settings)
    yield private
    await private.dispose()


needs_postgresql = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="connection loss is PostgreSQL's; the suite's PostgreSQL run covers it",
)


async def test_first_returns_the_row_as_a_dict_or_none(engine: AsyncEngine) -> None:
    user_id = uuid.uuid4()
    async with engine.begin() as connection:
        await connection.execute(
            insert(User).values(
                id=user_id, email="row@example.com", username="row-user", hashed_password="x"
            )
        )
    reader = RowReader(engine, concurrency=5, wait_seconds=5)

    assert await reader.first(_USERNAME_BY_ID, user_id=user_id) == {"username": "row-user"}
    assert await reader.first(_USERNAME_BY_ID, user_id=uuid.uuid4()) is None


@needs_postgresql
async def test_connections_the_server_closed_are_replaced_at_checkout(
    engine: AsyncEngine, migrated_engine: AsyncEngine
) -> None:
    reader = RowReader(engine, concurrency=5, wait_seconds=5)
    assert await reader.first(_ONE) == {"one": 1}
    async with migrated_engine.connect() as admin:
        own = (await admin.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        others = "WHERE datname = current_database() AND pid <> :own"
        # Every other connection to this database, the private engine's included.
        await admin.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity {others}"),  # noqa: S608
            {"own": own},
        )
        for _ in range(100):
            gone = (
                await admin.execute(
                    text(f"SELECT count(*) = 0 FROM pg_stat_activity {others}"),  # noqa: S608
                    {"own": own},
                )
            ).scalar_one()
            if gone:
                break
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # the event loop reads the closed sockets, as it would idle
    # No failed request in between: the dead connection is noticed without a round trip.
    assert await reader.first(_ONE) == {"one": 1}


@needs_postgresql
async def test_a_connection_lost_mid_query_is_unavailability_then_recovers(
    engine: AsyncEngine,
) -> None:
    reader = RowReader(engine, concurrency=5, wait_seconds=5)

    with pytest.raises(DatabaseUnavailableError):
        await reader.first(_KILL_OWN_CONNECTION)

    assert await reader.first(_ONE) == {"one": 1}


@needs_postgresql
async def test_a_reader_waits_for_its_turn_only_as_long_as_allowed(engine: AsyncEngine) -> None:
    reader = RowReader(engine, concurrency=1, wait_seconds=0.1)
    holder = asyncio.create_task(reader.first(_SLOW))
    await asyncio.sleep(0.05)

    with pytest.raises(DatabaseUnavailableError, match="no database connection free"):
        await reader.first(_ONE)

    await holder
    assert await reader.first(_ONE) == {"one": 1}
