"""What a verified access token tells the service: who the caller is, as the provider says, and
what the token grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.models.role import Role


@dataclass(frozen=True, slots=True)
class VerifiedAccessToken:
    issuer: str
    # The provider's id of the user (or of the client, for a client-credentials token): unique
    # per issuer, so (issuer, subject) is the key to store anything about the caller under.
    subject: str
    audience: tuple[str, ...]
    expires_at: datetime
    scopes: frozenset[str]
    # The service's role, mapped from provider_roles (OIDC_ROLES_CLAIM, OIDC_ADMIN_ROLES).
    role: Role
    provider_roles: tuple[str, ...]
    # The client the token was issued to (RFC 9068's client_id, or azp), when it says.
    client_id: str | None
    # Profile claims, when the provider puts them in access tokens.
    email: str | None
    email_verified: bool | None
    preferred_username: str | None
    name: str | None
    # Every claim, as signed, for what the fields above do not cover.
    claims: Mapping[str, Any]
