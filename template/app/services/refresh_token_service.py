"""Refresh tokens: login sessions that outlive access tokens, rotated on every use.

Every login starts a family. A refresh spends the token presented and issues the next one of
its family; each token works once. A spent token presented again means it was copied (the
client and a thief both hold the family), so the whole family is revoked and both must log in
again (reuse detection, OAuth 2.0 Security BCP 4.14.2). Revocation lives in the database: no
Redis is needed, and a revoked family is refused by every replica at once.

Knows nothing of HTTP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.tokens import new_opaque_token, opaque_token_digest
from app.db.base import utc_now
from app.models.refresh_token import RefreshToken
from app.models.user import User


class RefreshTokenError(Exception):
    """The token cannot be used: unknown, expired, revoked, spent, or its user is inactive.
    The reason stays in the log; every case is the same 401 to the client."""


class RefreshTokenReuseError(RefreshTokenError):
    """A spent token came back: its family is revoked (and that revocation committed)."""


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    token: str
    user_id: uuid.UUID
    family_id: uuid.UUID
    expires_in: timedelta


class RefreshTokenService:
    def __init__(self, session: AsyncSession, *, lifetime: timedelta) -> None:
        self._session = session
        self._lifetime = lifetime

    async def start_family(self, user_id: uuid.UUID) -> IssuedRefreshToken:
        """The first token of a new login session."""
        return await self._issue(user_id, uuid.uuid4(), utc_now())

    async def rotate(self, token: str) -> IssuedRefreshToken:
        """Spend `token` and issue the next one of its family."""
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

    async def revoke_family_of(self, token: str) -> None:
        """Revoke the login session `token` belongs to; nothing happens for an unknown token
        (a logout must not tell which tokens exist, RFC 7009 section 2.2)."""
        family_id = await self._session.scalar(
            select(RefreshToken.family_id).where(
                RefreshToken.token_hash == opaque_token_digest(token)
            )
        )
        if family_id is not None:
            await self._revoke(RefreshToken.family_id == family_id, utc_now())

    async def revoke_all(self, user_id: uuid.UUID, *, keep_family: uuid.UUID | None = None) -> None:
        """Revoke every login session of the user, but `keep_family` if given."""
        condition = RefreshToken.user_id == user_id
        if keep_family is not None:
            condition &= RefreshToken.family_id != keep_family
        await self._revoke(condition, utc_now())

    async def _issue(
        self, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
    ) -> IssuedRefreshToken:
        # Expired rows are of no use, not even for reuse detection (an expired token is refused
        # anyway): each issue deletes the user's, so the table holds live sessions only.
        await self._session.execute(
            delete(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.expires_at <= now)
            .execution_options(synchronize_session=False)
        )
        token = new_opaque_token()
        self._session.add(
            RefreshToken(
                user_id=user_id,
                family_id=family_id,
                token_hash=opaque_token_digest(token),
                created_at=now,
                expires_at=now + self._lifetime,
            )
        )
        await self._session.flush()
        return IssuedRefreshToken(
            token=token, user_id=user_id, family_id=family_id, expires_in=self._lifetime
        )

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


def refresh_token_service_for(session: AsyncSession, settings: Settings) -> RefreshTokenService:
    """The RefreshTokenService of one unit of work, its tokens living as the settings say."""
    return RefreshTokenService(session, lifetime=timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS))
