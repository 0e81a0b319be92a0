"""Verifying a bearer token as an access token the provider issued for this API.

In order: the header names an accepted algorithm and a key (nothing else it says is followed:
no `jku`, `x5u` or embedded `jwk`, no critical extension); the key is the provider's; the key
is made for that algorithm; PyJWT checks the signature with that one algorithm and the claims
(`iss` exactly, `aud`, `exp`, `nbf`, `iat` with OIDC_LEEWAY_SECONDS of skew, all but `nbf`
required); then the token must be an access token, not an ID token, with a subject.

ID tokens are for the client that signed the user in, never for an API (OpenID Connect Core,
section 2; RFC 9068, section 4). Three defences, since providers mark them differently:
- their audience is the client id, which the settings refuse as OIDC_AUDIENCE;
- a header `typ` other than an access token's (`at+jwt`, RFC 9068; or plain `JWT`, as Keycloak,
  Entra ID and older Auth0 write) is refused, and an absent one allowed;
- claims only ID tokens carry are refused: `nonce`, `at_hash`, `c_hash` (Keycloak stopped
  copying `nonce` into access tokens in version 24), and Keycloak's own `typ` claim when it says
  ID (or Refresh, Offline, Logout).

A client sends the same token with every request until it expires, and the checks above (two
parses, an RSA or EC signature) are most of an authenticated request's CPU: the verifier
remembers the tokens it accepted (OIDC_TOKEN_CACHE_SIZE, oldest out first). A remembered token
is the very string that passed once, so only the clock can change the verdict: its expiry is
checked on every use, and the key that verified it must still be published (a key the provider
dropped stops its tokens at the next fetch of the keys). A refused token is never remembered.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeGuard

import jwt

from app.core.bounded_cache import BoundedCache
from app.integrations.oidc.access_token import VerifiedAccessToken
from app.integrations.oidc.errors import InvalidAccessTokenError
from app.integrations.oidc.provider_documents import ACCEPTED_ALGORITHMS
from app.integrations.oidc.provider_keys import ProviderKeys
from app.integrations.oidc.roles import RoleMapping
from app.integrations.oidc.scopes import granted_scopes
from app.schemas.text import SAFE_TEXT_PATTERN

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# Compared case-insensitively (RFC 7515, section 4.1.9, which also lets "application/" go).
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt", "application/jwt"})
ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash")
# Values of Keycloak's `typ` claim that are not access tokens ("Bearer" is).
NOT_ACCESS_TOKEN_KINDS = frozenset({"id", "refresh", "offline", "logout"})
# OpenID Connect Core, section 2: at most 255 ASCII characters.
MAX_SUBJECT_LENGTH = 255
# What a reason quotes of a value the token chose: enough to recognise it in the log.
_QUOTED = 64
_SAFE_TEXT = re.compile(SAFE_TEXT_PATTERN)


class OidcTokenVerifier:
    def __init__(
        self,
        keys: ProviderKeys,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: float,
        roles: RoleMapping,
        cache_size: int = 0,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._roles = roles
        # Token -> its verified content and the key that verified it.
        self._accepted = BoundedCache[str, tuple[VerifiedAccessToken, str]](cache_size)

    @property
    def keys(self) -> ProviderKeys:
        return self._keys

    async def verify(self, token: str, *, now: float | None = None) -> VerifiedAccessToken:
        """The access token's verified content. InvalidAccessTokenError (401) for any token this API
        does not accept; ProviderKeysUnavailableError (503) when no key can be had to tell."""
        remembered = self._accepted.get(token)
        if remembered is not None:
            accepted, kid = remembered
            moment = time.time() if now is None else now
            if accepted.expires_at.timestamp() + self._leeway <= moment:
                self._accepted.discard(token)
                raise InvalidAccessTokenError("ExpiredSignatureError: Signature has expired")
            if self._keys.still_publishes(kid):
                return accepted
            # The provider dropped the key since: verified in full again (and refused).
            self._accepted.discard(token)
        verified, kid = await self._verify(token)
        self._accepted.put(token, (verified, kid))
        return verified

    async def _verify(self, token: str) -> tuple[VerifiedAccessToken, str]:
        algorithm, kid = _algorithm_and_kid(token)
        key = await self._keys.key(kid)
        if key is None:
            raise InvalidAccessTokenError(f"no key of the provider has kid {kid[:_QUOTED]!r}")
        # The token's `alg` only picks among the verifiers built for this key from what the key
        # and the provider allow; each is bound to its algorithm.
        verifier = key.verifiers.get(algorithm)
        if verifier is None:
            raise InvalidAccessTokenError(f"key {kid[:_QUOTED]!r} does not verify {algorithm}")
        try:
            claims = jwt.decode(
                token,
                verifier,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise InvalidAccessTokenError(f"{type(exc).__name__}: {exc}") from exc
        _refuse_other_kinds(claims)
        return self._verified(claims), kid

    def _verified(self, claims: dict[str, Any]) -> VerifiedAccessToken:
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidAccessTokenError("sub is empty")
        if len(subject) > MAX_SUBJECT_LENGTH:
            raise InvalidAccessTokenError(f"sub is over {MAX_SUBJECT_LENGTH} characters")
        # The key users are stored under: text a column takes (no NUL, no lone surrogate).
        if not _SAFE_TEXT.fullmatch(subject) or not _encodable(subject):
            raise InvalidAccessTokenError("sub holds control characters or lone surrogates")
        # PyJWT takes int() of them, which a numeric string or a boolean passes.
        for name in ("iat", "nbf"):
            if name in claims and not _is_number(claims[name]):
                raise InvalidAccessTokenError(f"{name} is not a number")
        audience = claims["aud"]
        provider_roles = self._roles.provider_roles(claims)
        return VerifiedAccessToken(
            issuer=claims["iss"],
            subject=subject,
            audience=(audience,) if isinstance(audience, str) else tuple(audience),
            expires_at=_expiry(claims["exp"]),
            scopes=granted_scopes(claims),
            role=self._roles.role(provider_roles),
            provider_roles=provider_roles,
            client_id=_text(claims, "client_id") or _text(claims, "azp"),
            email=_text(claims, "email"),
            email_verified=_flag(claims, "email_verified"),
            preferred_username=_text(claims, "preferred_username"),
            name=_text(claims, "name"),
            claims=MappingProxyType(claims),
        )


def _algorithm_and_kid(token: str) -> tuple[str, str]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidAccessTokenError(f"malformed: {exc}") from exc
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in ACCEPTED_ALGORITHMS:
        raise InvalidAccessTokenError(f"algorithm {str(algorithm)[:_QUOTED]!r} is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidAccessTokenError("the header names no key (kid)")
    kind = header.get("typ")
    if kind is not None and (not isinstance(kind, str) or kind.lower() not in ACCESS_TOKEN_TYPES):
        raise InvalidAccessTokenError(f"typ {str(kind)[:_QUOTED]!r} is not an access token's")
    if "crit" in header:
        raise InvalidAccessTokenError("the header names critical extensions")
    return algorithm, kid


def _refuse_other_kinds(claims: Mapping[str, Any]) -> None:
    carried = [name for name in ID_TOKEN_CLAIMS if name in claims]
    if carried:
        raise InvalidAccessTokenError(f"an ID token: it carries {', '.join(carried)}")
    kind = claims.get("typ")
    if isinstance(kind, str) and kind.lower() in NOT_ACCESS_TOKEN_KINDS:
        raise InvalidAccessTokenError(f"not an access token: typ {kind!r}")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _expiry(exp: object) -> datetime:
    # PyJWT compares int(exp), which a numeric string passes too.
    if not _is_number(exp):
        raise InvalidAccessTokenError("exp is not a number")
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InvalidAccessTokenError("exp is out of range") from exc


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _flag(claims: Mapping[str, Any], name: str) -> bool | None:
    value = claims.get(name)
    return value if isinstance(value, bool) else None
