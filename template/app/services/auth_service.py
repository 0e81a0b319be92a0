"""Registration, credential checks and access tokens: the business rules of authentication."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Select, bindparam, select

from app.core.config import Settings
from app.core.security import PasswordHasher, create_access_token
from app.db.reads import RowReader
from app.models.user import User
from app.schemas.token import Token
from app.schemas.user import UserCreate
from app.services.user_service import UserService

_CREDENTIALS = select(User.id, User.hashed_password, User.is_active)
_CREDENTIALS_BY_USERNAME = _CREDENTIALS.where(User.username == bindparam("login"))
_CREDENTIALS_BY_EMAIL = _CREDENTIALS.where(User.email == bindparam("login"))


def _credentials_query(login: str) -> Select[uuid.UUID, str, bool]:
    """By e-mail address when the login contains '@', by username otherwise (both stored
    lower-cased)."""
    return _CREDENTIALS_BY_EMAIL if "@" in login else _CREDENTIALS_BY_USERNAME


class AuthenticationError(Exception):
    """The caller could not be identified; the reason stays in the log, never in the response."""


class AuthService:
    def __init__(
        self, users: UserService, reader: RowReader, hasher: PasswordHasher, settings: Settings
    ) -> None:
        self._users = users
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
        if upgraded_hash is not None:
            await self._users.set_password_hash(found["id"], upgraded_hash)
        user_id: uuid.UUID = found["id"]
        return user_id

    def issue_token(self, user_id: uuid.UUID) -> Token:
        expires_in = timedelta(minutes=self._settings.ACCESS_TOKEN_EXPIRE_MINUTES)
        access = create_access_token(
            str(user_id),
            secret_key=self._settings.SECRET_KEY.get_secret_value(),
            expires_in=expires_in,
        )
        return Token(access_token=access.token, expires_in=int(expires_in.total_seconds()))
