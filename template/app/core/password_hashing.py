"""Password hashing (pwdlib, Argon2id) off the event loop, behind a bounded queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

from anyio import CapacityLimiter, to_thread
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

Result = TypeVar("Result")
Args = TypeVarTuple("Args")


class PasswordHashingBusyError(Exception):
    """Every hashing slot is taken and the queue behind them is full: answer 503, retry soon."""


# Waiters allowed behind each running hash when no queue limit is given.
DEFAULT_QUEUE_PER_SLOT = 4


class PasswordHasher:
    """Argon2id hashing off the event loop: a hash is deliberately costly CPU and memory, so it
    runs in a worker thread, and at most `concurrency` at once bound the memory it holds.

    At most `queue_limit` more calls wait for a slot (default: 4 per slot); any call past that
    raises PasswordHashingBusyError at once. An unbounded queue turns a burst of logins into
    a wait of minutes for everyone, a real user included; a bounded one answers the surplus
    "retry shortly" and keeps the wait of the admitted calls to a few hash times. Every hash
    and verification passes this one gate, the decoy for unknown users too, so a refusal says
    nothing about whether an account exists.
    """

    def __init__(
        self,
        *,
        time_cost: int,
        memory_cost_kib: int,
        parallelism: int,
        concurrency: int = 2,
        queue_limit: int | None = None,
    ) -> None:
        self._context = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=time_cost,
                    memory_cost=memory_cost_kib,
                    parallelism=parallelism,
                ),
            )
        )
        self._decoy_hash: str | None = None
        if queue_limit is None:
            queue_limit = DEFAULT_QUEUE_PER_SLOT * concurrency
        # Calls admitted (running or waiting); the limiter lets `concurrency` of them run.
        self._admitted = 0
        self._max_admitted = concurrency + queue_limit
        self._limiter = CapacityLimiter(concurrency)

    async def hash(self, password: str) -> str:
        return await self._run(self._context.hash, password)

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """Check a password; the second value is a new hash when the parameters changed."""
        try:
            return await self._run(self._context.verify_and_update, password, hashed)
        except UnknownHashError:
            return False, None

    async def prepare(self) -> None:
        """Compute the decoy hash at startup, so no request pays for it."""
        await self._decoy()

    async def verify_decoy(self, password: str) -> None:
        """Spend the time of a real verification when there is no user to check against."""
        decoy = await self._decoy()
        await self._run(self._context.verify, password, decoy)

    async def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self.hash(uuid.uuid4().hex)
        return self._decoy_hash

    async def _run(self, function: Callable[[*Args], Result], *args: *Args) -> Result:
        # Counted on the event loop, before any await: no other call can slip in between.
        if self._admitted >= self._max_admitted:
            raise PasswordHashingBusyError(f"{self._admitted} password hashes running or queued")
        self._admitted += 1
        try:
            return await to_thread.run_sync(function, *args, limiter=self._limiter)
        finally:
            self._admitted -= 1
