"""Who is calling: a bearer token checked and its user read, on every authenticated request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from app.core.tokens import AccessTokenVerifier, InvalidTokenError
from app.db.reads import RowReader
from app.models.role import Role
from app.models.user import AccountText, User
from app.services.auth_service import AuthenticationError

# The columns a request may need about its caller; never the password hash.
# Read on every request, so a role change or a deactivation counts from the caller's next one.
_USER_BY_ID = select(
    User.id,
    User.email,
    User.username,
    User.role,
    User.is_active,
    User.created_at,
    User.email_verified_at,
).where(User.id == bindparam("user_id"))


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
    # without one.
    session_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class IdentityService:
    def __init__(self, reader: RowReader, tokens: AccessTokenVerifier) -> None:
        self._reader = reader
        self._tokens = tokens

    async def user_from_token(self, token: str) -> AuthenticatedUser:
        """The active user the token was issued to; one database round trip, no transaction."""
        try:
            claims = self._tokens.verify(token)
            user_id = uuid.UUID(claims.subject)
            session_id = None if claims.session_id is None else uuid.UUID(claims.session_id)
        except (InvalidTokenError, ValueError) as exc:
            raise AuthenticationError(f"invalid token: {exc}") from exc
        row = await self._reader.first(_USER_BY_ID, user_id=user_id)
        if row is None:
            raise AuthenticationError("token subject does not exist")
        # The row reader returns the column's raw value (it skips the ORM's type processing).
        user = AuthenticatedUser(**{**row, "role": Role(row["role"]), "session_id": session_id})
        if not user.is_active:
            raise AuthenticationError("user is inactive")
        return user
