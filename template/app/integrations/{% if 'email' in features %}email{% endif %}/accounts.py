"""What mail does for accounts: password reset and address verification. Knows nothing of HTTP.

A request never tells whether an address has an account: it is answered the same either way,
does no password hashing and no SMTP (the outbox sends later), and costs one indexed SELECT,
plus one INSERT when the account exists. A confirmation spends its token once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.password_hashing import PasswordHasher
from app.db.base import utc_now
from app.integrations.email.messages import password_reset_mail, verification_mail
from app.integrations.email.outbox import MailOutbox
from app.integrations.email.settings import EmailSettings
from app.models.one_time_token import TokenPurpose
from app.models.user import User
from app.services.one_time_token_service import OneTimeTokenService
from app.services.refresh_token_service import RefreshTokenService
from app.services.user_service import UserService


class AccountMailService:
    def __init__(
        self,
        session: AsyncSession,
        hasher: PasswordHasher,
        outbox: MailOutbox,
        settings: EmailSettings,
    ) -> None:
        self._session = session
        self._hasher = hasher
        self._outbox = outbox
        self._settings = settings
        self._tokens = OneTimeTokenService(session)

    async def request_password_reset(self, email: str) -> None:
        user = await self._active_user(email)
        if user is None:
            return
        lifetime = timedelta(minutes=self._settings.PASSWORD_RESET_TOKEN_EXPIRE_MINUTES)
        token = await self._tokens.issue(user.id, TokenPurpose.PASSWORD_RESET, lifetime)
        mail = password_reset_mail(
            self._settings, to=user.email, username=user.username, token=token
        )
        await self._outbox.send(mail)

    async def reset_password(self, token: str, new_password: str) -> None:
        """Set the new password and end every login session of the user; the reset proves the
        address too, so it counts as verified. Raises InvalidOneTimeTokenError."""
        user_id = await self._tokens.spend(token, TokenPurpose.PASSWORD_RESET)
        hashed_password = await self._hasher.hash(new_password)
        await UserService(self._session).set_password_hash(user_id, hashed_password)
        await self._mark_verified(user_id)
        lifetime = timedelta(days=self._settings.REFRESH_TOKEN_EXPIRE_DAYS)
        await RefreshTokenService(self._session, lifetime=lifetime).revoke_all(user_id)

    async def request_verification(self, email: str) -> None:
        user = await self._active_user(email)
        if user is None or user.email_verified_at is not None:
            return
        lifetime = timedelta(hours=self._settings.EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS)
        token = await self._tokens.issue(user.id, TokenPurpose.VERIFY_EMAIL, lifetime)
        mail = verification_mail(self._settings, to=user.email, username=user.username, token=token)
        await self._outbox.send(mail)

    async def verify_email(self, token: str) -> None:
        """Raises InvalidOneTimeTokenError."""
        user_id = await self._tokens.spend(token, TokenPurpose.VERIFY_EMAIL)
        await self._mark_verified(user_id)

    async def _active_user(self, email: str) -> User | None:
        user: User | None = await self._session.scalar(
            select(User).where(User.email == email.lower(), User.is_active)
        )
        return user

    async def _mark_verified(self, user_id: uuid.UUID) -> None:
        await self._session.execute(
            update(User)
            .where(User.id == user_id, User.email_verified_at.is_(None))
            .values(email_verified_at=utc_now())
            .execution_options(synchronize_session=False)
        )
