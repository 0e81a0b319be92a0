"""Access tokens (PyJWT, HS256 pinned) and a verifier that remembers the tokens it
accepted; opaque tokens (refresh, password reset, verification) stored as their digest."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "type"]
_TOKEN_ID = re.compile(r"[!-~]{1,128}")  # printable ASCII


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
    # The login session (refresh token family) the token was issued for; None in tokens
    # issued without one.
    session_id: str | None = None


def create_access_token(
    subject: str,
    *,
    secret_key: str,
    expires_in: timedelta,
    session_id: str | None = None,
    now: datetime | None = None,
) -> AccessToken:
    issued_at = now or datetime.now(UTC)
    expires_at = issued_at + expires_in
    claims: dict[str, Any] = {
        "sub": subject,
        "iat": issued_at,
        "exp": expires_at,
        "jti": uuid.uuid4().hex,
        "type": ACCESS_TOKEN_TYPE,
    }
    if session_id is not None:
        claims["sid"] = session_id
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
    if "nbf" in claims:  # ours carry none, but PyJWT honours one given
        _instant(claims, "nbf")
    # Ours are 32 hex digits; anything else would reach a revocation lookup as is.
    if not _TOKEN_ID.fullmatch(claims["jti"]):
        raise InvalidTokenError("the jti claim is not a token id")
    session_id = claims.get("sid")
    if session_id is not None and not (isinstance(session_id, str) and _is_uuid(session_id)):
        raise InvalidTokenError("the sid claim is not a session id")
    return TokenClaims(
        subject=str(claims["sub"]),
        issued_at=_instant(claims, "iat"),
        expires_at=_instant(claims, "exp"),
        token_id=str(claims["jti"]),
        session_id=session_id,
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _instant(claims: dict[str, Any], name: str) -> datetime:
    """A NumericDate claim as a datetime. PyJWT has compared it with the clock, but accepts any
    number (1e20, -1e20) and anything int() takes (true, "17"): out of datetime's range, a
    well-signed token would be a 500 instead of a 401."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenError(f"the {name} claim is not a number")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InvalidTokenError(f"the {name} claim is out of range") from exc


class AccessTokenVerifier:
    """`decode_access_token` that remembers the tokens it accepted (at most `cache_size`).

    A client sends the same token with every request until it expires, and verifying it (PyJWT
    checks the signature, every character of every segment and each claim) is the largest CPU
    cost of an authenticated request. A remembered token is the very string that passed once
    with this key, so only the clock can change the verdict: its expiry is checked on every use.
    Refused tokens are never remembered. `cache_size=0` verifies every token every time.
    """

    def __init__(self, *, secret_key: str, cache_size: int) -> None:
        self._secret_key = secret_key
        self._cache_size = cache_size
        self._accepted: dict[str, TokenClaims] = {}

    def verify(self, token: str, *, now: datetime | None = None) -> TokenClaims:
        claims = self._accepted.get(token)
        if claims is None:
            claims = decode_access_token(token, secret_key=self._secret_key)
            self._remember(token, claims)
        if claims.expires_at <= (now or datetime.now(UTC)):
            self._accepted.pop(token, None)
            raise InvalidTokenError("Signature has expired")
        return claims

    def _remember(self, token: str, claims: TokenClaims) -> None:
        if self._cache_size == 0:
            return
        if len(self._accepted) >= self._cache_size:
            # The oldest entry goes first (dicts keep insertion order): a token still in use
            # comes back after one more verification.
            del self._accepted[next(iter(self._accepted))]
        self._accepted[token] = claims


def new_opaque_token() -> str:
    """A refresh, password reset or verification token: 256 random bits, URL-safe (43
    characters), meaningful only as a key to its database row."""
    return secrets.token_urlsafe(32)


def opaque_token_digest(token: str) -> str:
    """What is stored of an opaque token. A plain SHA-256 suffices for 256 random bits (no
    guessing to slow down), and a lookup by it is one indexed equality."""
    return hashlib.sha256(token.encode()).hexdigest()
