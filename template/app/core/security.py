"""Access tokens (PyJWT, HS256 pinned) and password hashing (pwdlib, Argon2id)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from anyio import CapacityLimiter, to_thread
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "type"]


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, forged or of the wrong type."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    issued_at: datetime
    expires_at: datetime
    token_id: str


def create_access_token(
    subject: str,
    *,
    secret_key: str,
    expires_in: timedelta,
    now: datetime | None = None,
) -> AccessToken:
    issued_at = now or datetime.now(UTC)
    expires_at = issued_at + expires_in
    claims = {
        "sub": subject,
        "iat": issued_at,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
        "type": ACCESS_TOKEN_TYPE,
    }
    return AccessToken(
        token=jwt.encode(claims, secret_key, algorithm=JWT_ALGORITHM),
        expires_at=expires_at,
    )


def decode_access_token(token: str, *, secret_key: str) -> TokenClaims:
    if not token:
        raise InvalidTokenError("empty token")
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidTokenError(str(exc)) from exc
    if claims["type"] != ACCESS_TOKEN_TYPE:
        raise InvalidTokenError("not an access token")
    return TokenClaims(
        subject=str(claims["sub"]),
        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        token_id=str(claims["jti"]),
    )


class PasswordHasher:
    """Argon2id hashing off the event loop: one hash costs ~100 ms of CPU at the defaults."""

    def __init__(
        self, *, time_cost: int, memory_cost_kib: int, parallelism: int, concurrency: int = 2
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
        # A burst of logins queues here instead of holding memory_cost each in every thread.
        self._limiter = CapacityLimiter(concurrency)

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(self._context.hash, password, limiter=self._limiter)

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """Check a password; the second value is a new hash when the parameters changed."""
        try:
            return await to_thread.run_sync(
                self._context.verify_and_update, password, hashed, limiter=self._limiter
            )
        except UnknownHashError:
            return False, None

    async def prepare(self) -> None:
        """Compute the decoy hash at startup, so no request pays for it."""
        await self._decoy()

    async def verify_decoy(self, password: str) -> None:
        """Spend the time of a real verification when there is no user to check against."""
        decoy = await self._decoy()
        await to_thread.run_sync(self._context.verify, password, decoy, limiter=self._limiter)

    async def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self.hash(uuid.uuid4().hex)
        return self._decoy_hash
