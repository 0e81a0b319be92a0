"""Registration, credential checks and access tokens: the business rules of authentication."""

from __future__ import annotations

from datetime import timedelta

from app.core.config import Settings
from app.core.security import PasswordHasher, create_access_token
from app.models.user import User
from app.schemas.token import Token
from app.schemas.user import UserCreate
from app.services.user_service import UserService


class AuthenticationError(Exception):
    """The caller could not be identified; the reason stays in the log, never in the response."""


class AuthService:
    def __init__(self, users: UserService, hasher: PasswordHasher, settings: Settings) -> None:
        self._users = users
        self._hasher = hasher
        self._settings = settings

    async def register(self, data: UserCreate) -> User:
        # Check first so a duplicate does not cost an Argon2 hash.
        await self._users.ensure_available(email=data.email, username=data.username)
        hashed_password = await self._hasher.hash(data.password)
        return await self._users.create(
            email=data.email, username=data.username, hashed_password=hashed_password
        )

    async def authenticate(self, login: str, password: str) -> User | None:
        """Return the user whose credentials these are, taking the same time when none is."""
        user = await self._users.get_by_login(login)
        if user is None:
            await self._hasher.verify_decoy(password)
            return None
        valid, upgraded_hash = await self._hasher.verify(password, user.hashed_password)
        if not valid or not user.is_active:
            return None
        if upgraded_hash is not None:
            user.hashed_password = upgraded_hash
        return user

    def issue_token(self, user: User) -> Token:
        expires_in = timedelta(minutes=self._settings.ACCESS_TOKEN_EXPIRE_MINUTES)
        access = create_access_token(
            str(user.id),
            secret_key=self._settings.SECRET_KEY.get_secret_value(),
            expires_in=expires_in,
        )
        return Token(access_token=access.token, expires_in=int(expires_in.total_seconds()))
