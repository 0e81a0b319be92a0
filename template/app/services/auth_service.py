"""Registration, credential checks, token pairs and password changes: the business rules of
authentication."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.password_hashing import PasswordHasher
from app.core.tokens import create_access_token
from app.db.reads import RowReader
from app.models.user import User
from app.schemas.token import Token
from app.schemas.user import UserCreate
from app.services.refresh_token_service import (
    IssuedRefreshToken,
    RefreshTokenService,
    refresh_token_service_for,
)
from app.services.user_service import UserService

_CREDENTIALS = select(User.id, User.hashed_password, User.is_active, User.email_verified_at)
_CREDENTIALS_BY_USERNAME = _CREDENTIALS.where(User.username == bindparam("login"))
_CREDENTIALS_BY_EMAIL = _CREDENTIALS.where(User.email == bindparam("login"))
_PASSWORD_HASH_BY_ID = select(User.hashed_password).where(User.id == bindparam("user_id"))


def _credentials_query(login: str) -> Select[uuid.UUID, str, bool, datetime | None]:
    """By e-mail address when the login contains '@', by username otherwise (both stored
    lower-cased)."""
    return _CREDENTIALS_BY_EMAIL if "@" in login else _CREDENTIALS_BY_USERNAME


class AuthenticationError(Exception):
    """The caller could not be identified; the reason stays in the log, never in the response."""


class EmailNotVerifiedError(Exception):
    """The credentials are right, but logins require a verified address (a 403)."""

    def __init__(self) -> None:
        super().__init__("Verify your e-mail address first: POST /api/v1/auth/verify-email/request")


class IncorrectPasswordError(Exception):
    def __init__(self) -> None:
        super().__init__("The current password is incorrect")


class AuthService:
    def __init__(
        self,
        users: UserService,
        refresh_tokens: RefreshTokenService,
        reader: RowReader,
        hasher: PasswordHasher,
        settings: Settings,
        *,
        require_verified_email: bool = False,
    ) -> None:
        self._require_verified_email = require_verified_email
        self._users = users
        self._refresh_tokens = refresh_tokens
        self._reader = reader
        self._hasher = hasher
        self._settings = settings

    async def register(self, data: UserCreate) -> User:
        # Check first so a duplicate does not cost an Argon2 hash.
        await self._users.ensure_available(email=data.email, username=data.username)
        hashed_password = await self._hasher.hash(data.password)
        return await self._users.create(
            email=data.email, username=data.username, hashed_password=hashed_password
        )

    async def authenticate(self, login: str, password: str) -> uuid.UUID | None:
        """The id of the user whose credentials these are, taking the same time when none is.

        The lookup runs outside the request's session, so no database connection is held while
        the login waits for an Argon2 slot: a burst of logins cannot starve other requests of
        connections. Only a hash upgrade writes, through the session, after the verification.
        """
        found = await self._reader.first(_credentials_query(login), login=login.strip().lower())
        if found is None:
            await self._hasher.verify_decoy(password)
            return None
        valid, upgraded_hash = await self._hasher.verify(password, found["hashed_password"])
        if not valid or not found["is_active"]:
            return None
        # Told only to whoever knows the password: it reveals nothing to a guesser.
        if self._require_verified_email and found["email_verified_at"] is None:
            raise EmailNotVerifiedError
        if upgraded_hash is not None:
            await self._users.set_password_hash(found["id"], upgraded_hash)
        user_id: uuid.UUID = found["id"]
        return user_id

    async def start_session(self, user_id: uuid.UUID) -> Token:
        """A login: a new refresh token family and the first pair of tokens."""
        return self._pair(await self._refresh_tokens.start_family(user_id))

    async def refresh(self, refresh_token: str) -> Token:
        """The next pair of the session; raises RefreshTokenError (a 401)."""
        return self._pair(await self._refresh_tokens.rotate(refresh_token))

    async def logout(self, refresh_token: str) -> None:
        await self._refresh_tokens.revoke_family_of(refresh_token)

    async def logout_everywhere(self, user_id: uuid.UUID) -> None:
        await self._refresh_tokens.revoke_all(user_id)

    async def change_password(
        self,
        user_id: uuid.UUID,
        *,
        current_password: str,
        new_password: str,
        session_id: uuid.UUID | None,
    ) -> None:
        """Replace the password and end every other login session; the caller's own session
        (`session_id`, from its access token) stays logged in."""
        stored = await self._reader.first(_PASSWORD_HASH_BY_ID, user_id=user_id)
        if stored is None:
            raise IncorrectPasswordError
        valid, _ = await self._hasher.verify(current_password, stored["hashed_password"])
        if not valid:
            raise IncorrectPasswordError
        await self._users.set_password_hash(user_id, await self._hasher.hash(new_password))
        await self._refresh_tokens.revoke_all(user_id, keep_family=session_id)

    def _pair(self, refresh: IssuedRefreshToken) -> Token:
        expires_in = timedelta(minutes=self._settings.ACCESS_TOKEN_EXPIRE_MINUTES)
        access = create_access_token(
            str(refresh.user_id),
            secret_key=self._settings.SECRET_KEY.get_secret_value(),
            expires_in=expires_in,
            session_id=str(refresh.family_id),
        )
        return Token(
            access_token=access.token,
            expires_in=int(expires_in.total_seconds()),
            refresh_token=refresh.token,
            refresh_expires_in=int(refresh.expires_in.total_seconds()),
        )


def auth_service_for(
    session: AsyncSession, reader: RowReader, hasher: PasswordHasher, settings: Settings
) -> AuthService:
    """The AuthService of one unit of work, its collaborators on the same session."""
    return AuthService(
        UserService(session),
        refresh_token_service_for(session, settings),
        reader,
        hasher,
        settings,
        require_verified_email=settings.logins_require_verified_email,
    )
