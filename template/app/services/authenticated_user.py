"""Who is calling, as every route sees it, whichever way the caller was authenticated (the
service's own tokens, or a provider's); and the failure to tell."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.models.role import Role
from app.models.user import AccountText


class AuthenticationError(Exception):
    """The caller could not be identified; the reason stays in the log, never in the response."""


@dataclass(frozen=True, slots=True)
class AuthenticatedUser:
    """A snapshot of the caller taken when the request was authenticated.

    Not attached to any session: a route that changes the user loads it by this id in its own
    unit of work (the request's transactional session).
    """

    id: uuid.UUID
    # Both always set for the service's own accounts; a provider's user may lack them.
    email: AccountText
    username: AccountText
    role: Role
    is_active: bool
    created_at: datetime
    email_verified_at: datetime | None = None
    # The login session (refresh token family) of the access token; None for a token issued
    # without one, and for a provider's token.
    session_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
