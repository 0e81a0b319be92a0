"""What verifying an access token can end in besides a verified token. The HTTP answers are
challenges.py's; the reasons are for the log, never for the client."""

from __future__ import annotations

from app.core.errors import DependencyDownError


class InvalidAccessTokenError(Exception):
    """The bearer token is not an access token this service accepts: malformed, forged, signed
    by an unknown key or algorithm, expired, for another issuer or audience, an ID token.
    Answered 401 `Bearer error="invalid_token"`; `reason` goes to the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderKeysUnavailableError(DependencyDownError):
    """No signing key of the provider is cached and none could be fetched now: the token may be
    fine, the service cannot tell. Answered 503 with Retry-After, never 401 or 500."""


class InsufficientScopeError(Exception):
    """A verified token lacks scopes the operation requires. Answered 403
    `Bearer error="insufficient_scope"` naming every scope the operation requires (RFC 6750,
    section 3.1: what the client must ask the provider for)."""

    def __init__(self, required: tuple[str, ...], missing: tuple[str, ...]) -> None:
        super().__init__(f"missing scopes: {' '.join(missing)}")
        self.required = required
        self.missing = missing
