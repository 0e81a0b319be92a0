"""Scopes: what a token grants, read from the claims providers use, and what an operation
requires of it.

`scope` is a space-separated string (RFC 8693, section 4.2; RFC 9068); Entra ID writes `scp`
as such a string, Okta as a list. Either claim is read in either form; other values grant
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from app.integrations.oidc.access_token import VerifiedAccessToken
from app.integrations.oidc.errors import InsufficientScopeError

# RFC 6749, section 3.3: a scope token is printable ASCII without space, `"` or `\`, so it can
# be written into a WWW-Authenticate header's quoted string as it is.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def granted_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    granted: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    granted.update(item.split())
    return frozenset(granted)


def checked_scopes(required: Iterable[str]) -> tuple[str, ...]:
    """`required` as a tuple, refused (ValueError) when an entry is no scope token: a typo in a
    route's requirement fails where the route is declared, not in a header."""
    scopes = tuple(required)
    invalid = [scope for scope in scopes if not _SCOPE_TOKEN.fullmatch(scope)]
    if invalid:
        raise ValueError(f"not scope names (RFC 6749, section 3.3): {invalid}")
    return scopes


def missing_scopes(token: VerifiedAccessToken, required: Iterable[str]) -> tuple[str, ...]:
    """The scopes of `required` the token does not grant, in the order required."""
    return tuple(scope for scope in checked_scopes(required) if scope not in token.scopes)


def require_scopes(token: VerifiedAccessToken, required: Iterable[str]) -> None:
    """InsufficientScopeError (answered 403) unless the token grants every scope of `required`."""
    scopes = checked_scopes(required)
    missing = missing_scopes(token, scopes)
    if missing:
        raise InsufficientScopeError(required=scopes, missing=missing)
