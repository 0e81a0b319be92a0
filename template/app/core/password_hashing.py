"""Password hashing (pwdlib, Argon2id) off the event loop, behind a bounded queue.

Passwords are hashed in Unicode normal form NFKC (NIST SP 800-63B-4, 3.1.1.2): a password typed
with a composed "é" or a decomposed one, or with a fullwidth digit, is the same password.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

from anyio import CapacityLimiter, to_thread
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

Result = TypeVar("Result")
Args = TypeVarTuple("Args")


def normalize_password(password: str) -> str:
    """The form a password is hashed in: NFKC."""
    return unicodedata.normalize("NFKC", password)


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
        """The hash of the password's NFKC form."""
        return await self._run(self._context.hash, normalize_password(password))

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """Check a password; the second value is a new hash to store, when the parameters
        changed or the password matched only as typed (stored before passwords were
        normalised), in which case it is the hash of the NFKC form."""
        return await self._run(self._verify_and_update, password, hashed)

    async def prepare(self) -> None:
        """Compute the decoy hash at startup, so no request pays for it."""
        await self._decoy()

    async def verify_decoy(self, password: str) -> None:
        """Spend the time of a real failed verification when there is no user to check
        against: two hashes for a password that NFKC changes, as `verify` spends."""
        decoy = await self._decoy()
        await self._run(self._verify_and_update, password, decoy)

    def _verify_and_update(self, password: str, hashed: str) -> tuple[bool, str | None]:
        # In one worker thread, so both tries pass the gate once.
        normalized = normalize_password(password)
        try:
            valid, updated = self._context.verify_and_update(normalized, hashed)
            if valid or normalized == password:
                return valid, updated
            # A hash stored before normalisation is of the password as it was typed.
            if self._context.verify(password, hashed):
                return True, self._context.hash(normalized)
        except UnknownHashError:
            pass
        return False, None

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
