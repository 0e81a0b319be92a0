"""Authentication: who the caller is (registration, credential checks, passwords) and the login
sessions that follow (token pairs, rotated refresh tokens, revocation).

Every login starts a session: a family of refresh tokens. A refresh spends the token presented
and issues the next one of its family; each token works once. A spent token presented again
means it was copied (the client and a thief both hold the family), so the whole family is
revoked and both must log in again (reuse detection, OAuth 2.0 Security BCP 4.14.2). Sessions
live in the database: no Redis is needed, and a revoked session is refused by every replica at
once.

Knows nothing of HTTP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.password_hashing import PasswordHasher
from app.core.tokens import create_access_token, new_opaque_token, opaque_token_digest
from app.db.base import utc_now
from app.db.reads import RowReader
from app.models.refresh_token import RefreshToken
from app.models.user import AccountText, User
from app.schemas.password import ensure_password_allowed
from app.schemas.token import Token
from app.schemas.user import UserCreate
from app.services.user_service import UserService

_CREDENTIALS = select(User.id, User.hashed_password, User.is_active, User.email_verified_at)
_CREDENTIALS_BY_USERNAME = _CREDENTIALS.where(User.username == bindparam("login"))
_CREDENTIALS_BY_EMAIL = _CREDENTIALS.where(User.email == bindparam("login"))
_PASSWORD_HASH_BY_ID = select(User.hashed_password).where(User.id == bindparam("user_id"))


def _credentials_query(login: str) -> Select[uuid.UUID, AccountText, bool, datetime | None]:
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


class AddressNeedsConfirmationError(Exception):
    """With mail, a user's new address is confirmed through a link mailed to it (the `email`
    option's POST /api/v1/auth/email-change), never set directly."""

    def __init__(self) -> None:
        super().__init__(
            "A new address is confirmed by mail: POST /api/v1/auth/email-change "
            "{email, current_password}"
        )


class RefreshTokenError(Exception):
    """The token cannot be used: unknown, expired, revoked, spent, or its user is inactive.
    The reason stays in the log; every case is the same 401 to the client."""


class RefreshTokenReuseError(RefreshTokenError):
    """A spent token came back: its family is revoked (and that revocation committed)."""


@dataclass(frozen=True, slots=True)
class _IssuedRefreshToken:
    token: str
    user_id: uuid.UUID
    family_id: uuid.UUID


class AuthService:
    def __init__(
        self,
        session: AsyncSession,
        reader: RowReader,
        hasher: PasswordHasher,
        settings: Settings,
        *,
        require_verified_email: bool = False,
    ) -> None:
        self._session = session
        self._reader = reader
        self._hasher = hasher
        self._settings = settings
        self._require_verified_email = require_verified_email
        self._access_lifetime = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
        self._refresh_lifetime = timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS)

    async def register(self, data: UserCreate) -> User:
        """Raises PasswordPolicyError or UserAlreadyExistsError."""
        self.ensure_password_allowed(data.password, username=data.username, email=data.email)
        users = UserService(self._session)
        # Check first so a duplicate does not cost an Argon2 hash.
        await users.ensure_available(email=data.email, username=data.username)
        hashed_password = await self._hasher.hash(data.password)
        return await users.create(
            email=data.email, username=data.username, hashed_password=hashed_password
        )

    async def authenticate(self, login: str, password: str) -> uuid.UUID | None:
        """The id of the user whose credentials these are, taking the same time when none is.

        The lookup runs outside the request's session, so no database connection is held while
        the login waits for an Argon2 slot: a burst of logins cannot starve other requests of
        connections. Only a hash upgrade writes, through the session, after the verification.
        """
        found = await self._reader.first(_credentials_query(login), login=login.strip().lower())
        # A user without a hash (provisioned from an OpenID Connect provider) has no password
        # here: refused like an unknown login, in the same time.
        if found is None or found["hashed_password"] is None:
            await self._hasher.verify_decoy(password)
            return None
        valid, upgraded_hash = await self._hasher.verify(password, found["hashed_password"])
        if not valid or not found["is_active"]:
            return None
        # Told only to whoever knows the password: it reveals nothing to a guesser.
        if self._require_verified_email and found["email_verified_at"] is None:
            raise EmailNotVerifiedError
        if upgraded_hash is not None:
            await self._store_password_hash(found["id"], upgraded_hash)
        user_id: uuid.UUID = found["id"]
        return user_id

    async def start_session(self, user_id: uuid.UUID) -> Token:
        """A login: a new refresh token family and the first pair of tokens."""
        return self._pair(await self._issue(user_id, uuid.uuid4(), utc_now()))

    async def refresh(self, refresh_token: str) -> Token:
        """Spend `refresh_token` for the next pair of its session; raises RefreshTokenError."""
        return self._pair(await self._rotate(refresh_token))

    async def logout(self, refresh_token: str) -> None:
        """End the session `refresh_token` belongs to; nothing happens for an unknown token
        (a logout must not tell which tokens exist, RFC 7009 section 2.2)."""
        family_id = await self._session.scalar(
            select(RefreshToken.family_id).where(
                RefreshToken.token_hash == opaque_token_digest(refresh_token)
            )
        )
        if family_id is not None:
            await self._revoke(RefreshToken.family_id == family_id, utc_now())

    async def end_sessions(self, user_id: uuid.UUID, *, keep: uuid.UUID | None = None) -> None:
        """End every login session of the user but `keep` (a session id) if given."""
        condition = RefreshToken.user_id == user_id
        if keep is not None:
            condition &= RefreshToken.family_id != keep
        await self._revoke(condition, utc_now())

    async def verify_password(self, user_id: uuid.UUID, password: str) -> None:
        """Raise IncorrectPasswordError unless `password` is the user's: what a change to the
        account's credentials takes besides an access token, which may be stolen."""
        stored = await self._reader.first(_PASSWORD_HASH_BY_ID, user_id=user_id)
        if stored is None or stored["hashed_password"] is None:
            raise IncorrectPasswordError
        valid, _ = await self._hasher.verify(password, stored["hashed_password"])
        if not valid:
            raise IncorrectPasswordError

    async def change_password(
        self,
        user_id: uuid.UUID,
        *,
        current_password: str,
        new_password: str,
        session_id: uuid.UUID | None,
    ) -> None:
        """Replace the password once the current one is proven; the caller's own session
        (`session_id`, from its access token) stays logged in."""
        await self.verify_password(user_id, current_password)
        await self.set_password(user_id, new_password, keep_session=session_id)

    async def update_own_account(
        self,
        user_id: uuid.UUID,
        changes: dict[str, Any],
        *,
        current_password: str | None,
        session_id: uuid.UUID | None,
    ) -> User:
        """The user's own change: a new address takes the current password, and where mail is
        sent (`address_changes_need_confirmation`), the link mailed to it instead."""
        if "email" in changes and self._settings.address_changes_need_confirmation:
            raise AddressNeedsConfirmationError
        if "email" in changes or current_password is not None:
            await self.verify_password(user_id, current_password or "")
        return await self.update_account(user_id, changes, keep_session=session_id)

    async def update_account(
        self, user_id: uuid.UUID, changes: dict[str, Any], *, keep_session: uuid.UUID | None
    ) -> User:
        """Apply `changes` to the user. A new address ends every login session but
        `keep_session`: the address is a login, and where password resets are mailed."""
        users = UserService(self._session)
        old_email = (await users.get(user_id)).email
        user = await users.update(user_id, changes)
        if user.email != old_email:
            await self.end_sessions(user_id, keep=keep_session)
        return user

    async def delete_account(self, user_id: uuid.UUID, *, current_password: str) -> None:
        await self.verify_password(user_id, current_password)
        await UserService(self._session).delete(user_id)

    def ensure_password_allowed(
        self, password: str, *, username: str | None, email: str | None
    ) -> None:
        """Raise PasswordPolicyError unless `password` may be the new password of the account
        named `username` at `email` (app/schemas/password.py)."""
        ensure_password_allowed(
            password,
            min_length=self._settings.PASSWORD_MIN_LENGTH,
            username=username,
            email=email,
        )

    async def set_password(
        self, user_id: uuid.UUID, new_password: str, *, keep_session: uuid.UUID | None = None
    ) -> None:
        """A new password ends every other session: whoever held the old one is logged out.
        Raises PasswordPolicyError before any hashing."""
        user = await UserService(self._session).get(user_id)
        self.ensure_password_allowed(new_password, username=user.username, email=user.email)
        await self._store_password_hash(user_id, await self._hasher.hash(new_password))
        await self.end_sessions(user_id, keep=keep_session)

    async def _store_password_hash(self, user_id: uuid.UUID, hashed_password: str) -> None:
        await self._session.execute(
            update(User).where(User.id == user_id).values(hashed_password=hashed_password)
        )

    def _pair(self, refresh: _IssuedRefreshToken) -> Token:
        access = create_access_token(
            str(refresh.user_id),
            secret_key=self._settings.SECRET_KEY.get_secret_value(),
            expires_in=self._access_lifetime,
            session_id=str(refresh.family_id),
        )
        return Token(
            access_token=access.token,
            expires_in=int(self._access_lifetime.total_seconds()),
            refresh_token=refresh.token,
            refresh_expires_in=int(self._refresh_lifetime.total_seconds()),
        )

    async def _rotate(self, token: str) -> _IssuedRefreshToken:
        now = utc_now()
        found = (
            await self._session.execute(
                select(
                    RefreshToken.id,
                    RefreshToken.user_id,
                    RefreshToken.family_id,
                    RefreshToken.used_at,
                    RefreshToken.revoked_at,
                    (RefreshToken.expires_at > now).label("live"),
                    User.is_active,
                )
                .join(User, User.id == RefreshToken.user_id)
                .where(RefreshToken.token_hash == opaque_token_digest(token))
            )
        ).first()
        if found is None:
            raise RefreshTokenError("unknown refresh token")
        if found.revoked_at is not None:
            raise RefreshTokenError("refresh token family revoked")
        if not found.live:
            raise RefreshTokenError("refresh token expired")
        if found.used_at is not None:
            await self._revoke_after_reuse(found.family_id, now)
        # Compare-and-set: of two refreshes racing with one token, only one spends it (the
        # row lock makes PostgreSQL re-check the condition); the other is a reuse.
        spent = await self._session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == found.id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            await self._revoke_after_reuse(found.family_id, now)
        if not found.is_active:
            raise RefreshTokenError("user is inactive")
        return await self._issue(found.user_id, found.family_id, now)

    async def _issue(
        self, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
    ) -> _IssuedRefreshToken:
        # Expired and revoked rows are of no use, not even for reuse detection (their tokens are
        # refused anyway): each issue deletes the user's, so the table holds live sessions only.
        await self._session.execute(
            delete(RefreshToken)
            .where(
                RefreshToken.user_id == user_id,
                (RefreshToken.expires_at <= now) | RefreshToken.revoked_at.is_not(None),
            )
            .execution_options(synchronize_session=False)
        )
        token = new_opaque_token()
        self._session.add(
            RefreshToken(
                user_id=user_id,
                family_id=family_id,
                token_hash=opaque_token_digest(token),
                created_at=now,
                expires_at=now + self._refresh_lifetime,
            )
        )
        await self._session.flush()
        return _IssuedRefreshToken(token=token, user_id=user_id, family_id=family_id)

    async def _revoke_after_reuse(self, family_id: uuid.UUID, now: datetime) -> None:
        await self._revoke(RefreshToken.family_id == family_id, now)
        # Committed here: the request answers 401, and the rollback of a failed request must
        # not undo the revocation.
        await self._session.commit()
        raise RefreshTokenReuseError(f"spent refresh token reused: family {family_id} revoked")

    async def _revoke(self, condition: ColumnElement[bool], now: datetime) -> None:
        await self._session.execute(
            update(RefreshToken)
            .where(condition, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )


def auth_service_for(
    session: AsyncSession, reader: RowReader, hasher: PasswordHasher, settings: Settings
) -> AuthService:
    """The AuthService of one unit of work, as the settings configure it."""
    return AuthService(
        session,
        reader,
        hasher,
        settings,
        require_verified_email=settings.logins_require_verified_email,
    )
