"""RowReader on the configured database; the connection-loss cases need PostgreSQL.

The suite's SQLite run skips those; its PostgreSQL run (TEST_DATABASE_URL) must run them all.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import bindparam, func, insert, literal, select, text
from sqlalchemy.engine import make_url
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


_BACKEND_PID = select(func.pg_backend_pid().label("pid"))
_DIVIDE_BY_ZERO = select((literal(1) / literal(0)).label("never"))


@needs_postgresql
async def test_the_readers_connections_are_its_own_and_at_most_its_concurrency(
    engine: AsyncEngine,
) -> None:
    reader = RowReader(engine, concurrency=2, wait_seconds=5)
    pids = await asyncio.gather(*(reader.first(_BACKEND_PID) for _ in range(6)))

    assert len({row["pid"] for row in pids if row}) <= 2
    assert reader.open_connections <= 2
    # Detached from the engine's pool: sessions keep all of DB_POOL_SIZE.
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    await reader.close()


@needs_postgresql
async def test_a_server_error_keeps_the_connection(engine: AsyncEngine) -> None:
    reader = RowReader(engine, concurrency=1, wait_seconds=5)
    before = await reader.first(_BACKEND_PID)

    with pytest.raises(asyncpg.DataError):  # division by zero: class 22
        await reader.first(_DIVIDE_BY_ZERO)

    assert await reader.first(_BACKEND_PID) == before
    assert reader.open_connections == 1
    await reader.close()


@needs_postgresql
async def test_a_read_cancelled_mid_query_never_hands_its_connection_on(
    engine: AsyncEngine,
) -> None:
    reader = RowReader(engine, concurrency=1, wait_seconds=5)
    before = await reader.first(_BACKEND_PID)
    slow = asyncio.create_task(reader.first(_SLOW))
    await asyncio.sleep(0.1)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow

    # A connection still busy with the cancelled query would refuse this one.
    after = await reader.first(_BACKEND_PID)
    assert after is not None
    assert after != before
    assert reader.open_connections == 1
    await reader.close()


@needs_postgresql
async def test_connections_older_than_the_recycle_age_are_replaced(engine: AsyncEngine) -> None:
    reader = RowReader(engine, concurrency=1, wait_seconds=5, recycle_seconds=0)
    first = await reader.first(_BACKEND_PID)
    await asyncio.sleep(0.01)

    assert await reader.first(_BACKEND_PID) != first
    assert reader.open_connections == 1
    await reader.close()


def _terminate_while_the_loop_waits(database_url: str, pid: int) -> None:
    """End backend `pid` from another thread while this thread's event loop is blocked, so the
    loop has not read the closed socket when the test goes on."""

    async def terminate() -> None:
        dsn = make_url(database_url).set(drivername="postgresql")
        admin = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
            for _ in range(100):
                query = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $1"
                if await admin.fetchval(query, pid):
                    return
                await asyncio.sleep(0.02)
        finally:
            await admin.close()

    worker = threading.Thread(target=asyncio.run, args=(terminate(),))
    worker.start()
    worker.join()


@needs_postgresql
@pytest.mark.parametrize("pre_ping", [True, False])
async def test_pre_ping_replaces_a_connection_lost_before_the_loop_noticed(
    engine: AsyncEngine, settings: AppSettings, pre_ping: bool
) -> None:
    reader = RowReader(engine, concurrency=1, wait_seconds=5, pre_ping=pre_ping)
    row = await reader.first(_BACKEND_PID)
    assert row is not None

    _terminate_while_the_loop_waits(settings.DATABASE_URL, row["pid"])

    if not pre_ping:  # without the ping, one read finds out, and the next is served
        with pytest.raises(DatabaseUnavailableError):
            await reader.first(_BACKEND_PID)
    replaced = await reader.first(_BACKEND_PID)
    assert replaced is not None
    assert replaced != row
    await reader.close()


@needs_postgresql
async def test_close_closes_the_idle_connections_and_later_reads_are_refused(
    engine: AsyncEngine,
) -> None:
    reader = RowReader(engine, concurrency=2, wait_seconds=5)
    await asyncio.gather(reader.first(_SLOW), reader.first(_ONE))
    assert reader.open_connections == 2

    await reader.close()

    assert reader.open_connections == 0
    with pytest.raises(DatabaseUnavailableError, match="closed"):
        await reader.first(_ONE)
