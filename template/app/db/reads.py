"""Single-row reads for hot, read-only paths: one pooled connection, one round trip, no ORM.

A session's unit of work (identity map, autobegin, flush bookkeeping) costs several times the
query itself for a lookup that runs on every authenticated request. On asyncpg, RowReader runs
a Core statement straight on the driver connection borrowed from SQLAlchemy's pool: compiled
once per statement, prepared and cached by asyncpg per connection, outside any transaction.
Other drivers (SQLite in development and tests) go through SQLAlchemy Core.

Only for selects whose columns need no conversion by SQLAlchemy (strings, numbers, booleans,
UUIDs, timestamps): rows come back as the driver returns them. Never for writes.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import asyncpg
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

# Driver failures meaning "the connection or the server is gone", not "the query is wrong".
# Class 57 covers a server shutting down (57P01) or refusing connections while it starts.
_CONNECTION_LOST_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
    TimeoutError,
)


# SQL in the driver's parameter style, parameter names in position order, bound literals.
_Compiled = tuple[str, tuple[str, ...], dict[str, Any]]


class DatabaseUnavailableError(ConnectionError):
    """The database could not answer; the request can be retried (answered with 503)."""


class InvalidValueError(ValueError):
    """A bound value the driver cannot send (an unpaired surrogate is not UTF-8); the request
    is at fault (answered with 400). Schemas refuse such values first; this is the net, raised
    here on the direct asyncpg path and by app/db/session.py's engines on SQLAlchemy's."""


class RowReader:
    """`concurrency` is the pool's capacity (DB_POOL_SIZE + DB_MAX_OVERFLOW); `wait_seconds`
    bounds the wait for a turn, like DB_POOL_TIMEOUT_SECONDS bounds a checkout.

    Readers queue at a first-come, first-served gate before the pool: the pool's own queue lets a
    newcomer take a connection that was just returned for a waiter, so under saturation a few
    requests wait many times longer than the rest, passed over again and again.
    """

    def __init__(self, engine: AsyncEngine, *, concurrency: int, wait_seconds: float) -> None:
        self._engine = engine
        self._turns = asyncio.Semaphore(concurrency)  # FIFO: a newcomer queues behind waiters
        self._wait_seconds = wait_seconds
        self._on_asyncpg = engine.dialect.driver == "asyncpg"
        # Keyed by identity: statements given here are module-level constants.
        self._compiled: dict[int, tuple[Select[*tuple[Any, ...]], _Compiled]] = {}

    async def first(
        self, statement: Select[*tuple[Any, ...]], **params: Any
    ) -> dict[str, Any] | None:
        """The first row the statement selects with these bound parameters, or None."""
        if self._turns.locked():
            try:
                async with asyncio.timeout(self._wait_seconds):
                    await self._turns.acquire()
            except TimeoutError as exc:
                raise DatabaseUnavailableError("no database connection free in time") from exc
        else:
            await self._turns.acquire()
        try:
            return await self._first(statement, params)
        finally:
            self._turns.release()

    async def _first(
        self, statement: Select[*tuple[Any, ...]], params: dict[str, Any]
    ) -> dict[str, Any] | None:
        if not self._on_asyncpg:
            async with self._engine.connect() as connection:
                found = (await connection.execute(statement, params)).first()
            return None if found is None else dict(found._mapping)
        sql, names, defaults = self._compile(statement)
        # The pooled connection itself, without the Connection facade engine.connect() builds
        # around it, which one statement has no use for: checkout and check-in still run the
        # pool's events (app/db/session.py's closed-connection check) and reset, as for any
        # other checkout.
        pooled = await self._engine.raw_connection()
        try:
            driver = cast(asyncpg.Connection, pooled.driver_connection)
            try:
                row: asyncpg.Record | None = await driver.fetchrow(
                    sql, *(params.get(name, defaults.get(name)) for name in names)
                )
            except _CONNECTION_LOST_ERRORS as exc:
                # SQLAlchemy never saw this failure: drop the connection so the pool replaces it.
                pooled.invalidate(exc)
                raise DatabaseUnavailableError("database connection lost") from exc
            except UnicodeEncodeError as exc:
                # Raised while encoding the arguments, before anything was sent: the
                # connection is fine. (A NUL is refused by the server: asyncpg.DataError.)
                raise InvalidValueError("a bound value is not valid text") from exc
        finally:
            # Check-in may close the connection (an overflow one, or after invalidate), which
            # awaits the driver: SQLAlchemy's async bridge has to run it.
            await greenlet_spawn(pooled.close)
        return None if row is None else dict(row.items())

    def _compile(self, statement: Select[*tuple[Any, ...]]) -> _Compiled:
        cached = self._compiled.get(id(statement))
        if cached is None:
            compiled = statement.compile(dialect=self._engine.dialect)
            # Values bound in the statement itself (literals) fill the names not given per call.
            cached = (
                statement,
                (str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params)),
            )
            self._compiled[id(statement)] = cached
        return cached[1]
