"""Single-row reads for hot, read-only paths: one round trip on a connection of the reader's
own, no ORM, no pool.

A session's unit of work (identity map, autobegin, flush bookkeeping) costs several times the
query itself for a lookup that runs on every authenticated request, and so does a checkout from
SQLAlchemy's pool (two greenlet switches, checkout and check-in events, the reset). On asyncpg,
RowReader keeps a few connections of its own (DB_READ_POOL_SIZE, opened by the engine with its
URL, connect arguments and codecs, then detached from its pool) and runs a Core statement
straight on one: compiled once per statement, prepared and cached by asyncpg per connection,
outside any transaction. Other drivers (SQLite in development and tests) go through SQLAlchemy
Core on the engine's pool.

Only for selects whose columns need no conversion by SQLAlchemy (strings, numbers, booleans,
UUIDs, timestamps): rows come back as the driver returns them. Never for writes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import asyncpg
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

# Driver failures meaning "the connection or the server is gone", not "the query is wrong".
# Class 57 covers a server shutting down (57P01) or refusing connections while it starts.
_CONNECTION_LOST_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    # What asyncpg raises when the server's farewell (57P01) reached an idle connection before
    # the next query did: its protocol is stuck, the connection is as good as lost.
    asyncpg.exceptions.InternalClientError,
    OSError,
    TimeoutError,
)
# A graceful close says goodbye to the server; one that fails or does not answer in time is cut.
_CLOSE_TIMEOUT_SECONDS = 2.0
_CLOSE_ERRORS: tuple[type[BaseException], ...] = (*_CONNECTION_LOST_ERRORS, asyncpg.PostgresError)


# SQL in the driver's parameter style, parameter names in position order, bound literals.
_Compiled = tuple[str, tuple[str, ...], dict[str, Any]]


class DatabaseUnavailableError(ConnectionError):
    """The database could not answer; the request can be retried (answered with 503)."""


class InvalidValueError(ValueError):
    """A bound value the driver cannot send (an unpaired surrogate is not UTF-8); the request
    is at fault (answered with 400). Schemas refuse such values first; this is the net, raised
    here on the direct asyncpg path and by app/db/session.py's engines on SQLAlchemy's."""


class RowReader:
    """`concurrency` is how many reads run at once: on asyncpg, the number of the reader's own
    connections (DB_READ_POOL_SIZE), opened when first needed and kept; elsewhere, turns on the
    engine's pool. `wait_seconds` bounds the wait for a turn, like DB_POOL_TIMEOUT_SECONDS
    bounds a checkout; `recycle_seconds` (DB_POOL_RECYCLE_SECONDS, -1: never) how long a
    connection serves before it is replaced, and `pre_ping` (DB_POOL_PRE_PING) whether each
    read first checks its connection with a round trip, as the engine's pool does.

    Readers queue at a first-come, first-served gate: a pool's own queue lets a newcomer take a
    connection that was just returned for a waiter, so under saturation a few requests wait
    many times longer than the rest, passed over again and again. Behind the gate a turn always
    finds a connection: an idle one, or a new one while fewer than `concurrency` are open.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        concurrency: int,
        wait_seconds: float,
        recycle_seconds: float = -1,
        pre_ping: bool = False,
    ) -> None:
        self._engine = engine
        self._turns = asyncio.Semaphore(concurrency)  # FIFO: a newcomer queues behind waiters
        self._wait_seconds = wait_seconds
        self._recycle_seconds = recycle_seconds
        self._pre_ping = pre_ping
        self._on_asyncpg = engine.dialect.driver == "asyncpg"
        # Idle connections with the monotonic time each was opened; the last returned is the
        # next handed out, so a quiet service keeps using few and the rest stay idle.
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._open = 0
        self._closed = False
        # Keyed by identity: statements given here are module-level constants.
        self._compiled: dict[int, tuple[Select[*tuple[Any, ...]], _Compiled]] = {}

    @property
    def open_connections(self) -> int:
        """The reader's own connections now open (idle or in use); 0 off asyncpg."""
        return self._open

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

    async def close(self) -> None:
        """Close the idle connections; one still in use is closed when its read ends. Reads
        after this open no new connection: they raise DatabaseUnavailableError."""
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection, _ in idle:
            await self._close_connection(connection)

    async def _first(
        self, statement: Select[*tuple[Any, ...]], params: dict[str, Any]
    ) -> dict[str, Any] | None:
        if not self._on_asyncpg:
            async with self._engine.connect() as core:
                found = (await core.execute(statement, params)).first()
            return None if found is None else dict(found._mapping)
        sql, names, defaults = self._compile(statement)
        connection, opened_at = await self._checkout()
        reusable = False
        try:
            row: asyncpg.Record | None = await connection.fetchrow(
                sql, *(params.get(name, defaults.get(name)) for name in names)
            )
            reusable = True
        except _CONNECTION_LOST_ERRORS as exc:
            raise DatabaseUnavailableError("database connection lost") from exc
        except UnicodeEncodeError as exc:
            # Raised while encoding the arguments, before anything was sent: the
            # connection is fine. (A NUL is refused by the server: asyncpg.DataError.)
            reusable = True
            raise InvalidValueError("a bound value is not valid text") from exc
        except asyncpg.PostgresError:
            reusable = True  # the server answered with an error: the connection is in step
            raise
        finally:
            # Anything else (a cancellation mid-query above all) leaves the connection in an
            # unknown state: it is cut, never handed to the next read.
            if reusable and not self._closed:
                self._idle.append((connection, opened_at))
            else:
                self._open -= 1
                if reusable:
                    await self._close_connection(connection)
                else:
                    connection.terminate()
        return None if row is None else dict(row.items())

    async def _checkout(self) -> tuple[asyncpg.Connection, float]:
        """An idle connection still usable, or a new one. A server restart closes every idle
        connection, and asyncpg notices the closed socket without a round trip: such a
        connection is replaced here instead of failing a request."""
        while self._idle:
            connection, opened_at = self._idle.pop()
            age = time.monotonic() - opened_at
            expired = self._recycle_seconds >= 0 and age > self._recycle_seconds
            if not connection.is_closed() and not expired and await self._answers(connection):
                return connection, opened_at
            self._open -= 1
            await self._close_connection(connection)
        if self._closed:
            raise DatabaseUnavailableError("the database reader is closed")
        self._open += 1
        try:
            return await self._connect(), time.monotonic()
        except BaseException:
            self._open -= 1
            raise

    async def _connect(self) -> asyncpg.Connection:
        # The engine opens it (URL options such as ssl, connect arguments, codecs, the pool's
        # connect events) and lets it go: the engine's pool opens another in its place later,
        # so the reader's connections are extra to DB_POOL_SIZE.
        pooled = await self._engine.raw_connection()
        connection = cast(asyncpg.Connection, pooled.driver_connection)
        pooled.detach()
        return connection

    async def _answers(self, connection: asyncpg.Connection) -> bool:
        if not self._pre_ping:
            return True
        try:
            await connection.execute("SELECT 1")
        except _CONNECTION_LOST_ERRORS:
            connection.terminate()
            return False
        return True

    @staticmethod
    async def _close_connection(connection: asyncpg.Connection) -> None:
        if connection.is_closed():
            return
        try:
            await connection.close(timeout=_CLOSE_TIMEOUT_SECONDS)
        except _CLOSE_ERRORS:
            connection.terminate()

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
