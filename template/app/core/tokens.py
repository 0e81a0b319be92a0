"""Access tokens, a verifier that remembers the tokens it accepted, and opaque tokens
(refresh, password reset, verification) stored as their digest.

An access token is a JWT (RFC 7519, compact JWS) signed with HMAC-SHA256 under SECRET_KEY, written
and checked here with the standard library. The service is its tokens' only issuer and only
audience, so it accepts exactly the header it writes: the token never chooses the algorithm or
the key (`alg: none`, another HMAC, a public key used as an HMAC secret, `kid`, `jku` are all
refused by one string comparison, before a signature is computed). A general JWT library must
parse and police any header; PyJWT 2.15 checks every character of every segment in Python, 60-80
µs per token, about a tenth of an authenticated request's CPU (the template's benchmarks). The
tests hold this code to PyJWT both ways: each verifies the other's tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret
_REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti", "type")
_TOKEN_ID = re.compile(r"[!-~]{1,128}")  # printable ASCII
# Three segments of base64url without padding (RFC 7515, sections 2 and 7.1), joined by dots.
_COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")


def _encode_segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(secret_key: str, signing_input: str) -> str:
    return _encode_segment(hmac.digest(secret_key.encode(), signing_input.encode(), "sha256"))


# The one header this service writes (the JSON PyJWT writes too: sorted keys, no spaces).
_HEADER = _encode_segment(
    json.dumps({"alg": JWT_ALGORITHM, "typ": "JWT"}, separators=(",", ":")).encode()
)


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
    # NumericDates are whole seconds (RFC 7519 allows fractions; whole seconds are what every
    # library reads).
    claims: dict[str, Any] = {
        "sub": subject,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
        "type": ACCESS_TOKEN_TYPE,
    }
    if session_id is not None:
        claims["sid"] = session_id
    payload = _encode_segment(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER}.{payload}"
    return AccessToken(
        token=f"{signing_input}.{_signature(secret_key, signing_input)}",
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


def decode_access_token(token: str, *, secret_key: str) -> TokenClaims:
    """The claims of an access token this service signed with `secret_key` and that is valid
    now; InvalidTokenError saying why otherwise."""
    segments = _COMPACT_JWS.fullmatch(token)
    if segments is None:
        raise InvalidTokenError("not a JWT: three base64url segments joined by dots expected")
    header, payload, signature = segments.groups()
    if header != _HEADER:
        raise InvalidTokenError("not an access token of this service (unexpected header)")
    if not hmac.compare_digest(signature, _signature(secret_key, f"{header}.{payload}")):
        raise InvalidTokenError("Signature verification failed")
    # Checked after the signature: from here on the payload is the one this service wrote.
    claims = _payload(payload)
    return _valid_claims(claims, time.time())


def _payload(segment: str) -> dict[str, Any]:
    try:
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError as exc:  # base64, UTF-8 and JSON errors alike
        raise InvalidTokenError("the payload is not a JSON object") from exc
    if not isinstance(claims, dict):
        raise InvalidTokenError("the payload is not a JSON object")
    return claims


def _valid_claims(claims: dict[str, Any], now: float) -> TokenClaims:
    for name in _REQUIRED_CLAIMS:
        if name not in claims:
            raise InvalidTokenError(f'Token is missing the "{name}" claim')
    expires_at = _instant(claims, "exp")
    issued_at = _instant(claims, "iat")
    if claims["exp"] <= now:
        raise InvalidTokenError("Signature has expired")
    if claims["iat"] > now:
        raise InvalidTokenError("The token is not yet valid (iat)")
    # Ours carry none, but a token that has one is not valid before it.
    if "nbf" in claims:
        _instant(claims, "nbf")
        if claims["nbf"] > now:
            raise InvalidTokenError("The token is not yet valid (nbf)")
    # Ours name no audience: a token that does was meant for some other service.
    if "aud" in claims:
        raise InvalidTokenError("the token names an audience")
    if claims["type"] != ACCESS_TOKEN_TYPE:
        raise InvalidTokenError("not an access token")
    subject = claims["sub"]
    if not isinstance(subject, str):
        raise InvalidTokenError("the sub claim is not a string")
    # Ours are 32 hex digits; anything else would reach a revocation lookup as is.
    token_id = claims["jti"]
    if not (isinstance(token_id, str) and _TOKEN_ID.fullmatch(token_id)):
        raise InvalidTokenError("the jti claim is not a token id")
    session_id = claims.get("sid")
    if session_id is not None and not (isinstance(session_id, str) and _is_uuid(session_id)):
        raise InvalidTokenError("the sid claim is not a session id")
    return TokenClaims(
        subject=subject,
        issued_at=issued_at,
        expires_at=expires_at,
        token_id=token_id,
        session_id=session_id,
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _instant(claims: dict[str, Any], name: str) -> datetime:
    """A NumericDate claim as a datetime: a number (not a boolean, not a string) that a
    datetime can hold; out of that range, a well-signed token would be a 500 instead of a 401."""
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
