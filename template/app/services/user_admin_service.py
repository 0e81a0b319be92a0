"""What admins do to users: find, read, change, deactivate and delete them. Knows nothing of HTTP.

One rule guards it: the service always keeps an active admin. Demoting, deactivating or
deleting the last one is refused, checked under row locks on PostgreSQL so two admins doing it
to each other at once cannot both succeed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.role import Role
from app.models.user import User
from app.services.user_service import UserAlreadyExistsError

_LIKE_ESCAPE = "\\"


class UserNotFoundError(Exception):
    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        super().__init__("User not found")


class LastAdminError(Exception):
    def __init__(self) -> None:
        super().__init__("The last active admin cannot be demoted, deactivated or deleted")


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


class UserAdminService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list(
        self, *, limit: int, offset: int, search: str | None = None
    ) -> tuple[Sequence[User], int]:
        """A page of users, oldest first, and how many match in all."""
        matching: Select[Any] = select(User)
        if search:
            pattern = _contains(search)
            # Both columns are stored lower-cased, so a lower-cased pattern is case-insensitive.
            matching = matching.where(
                or_(
                    User.username.like(pattern, escape=_LIKE_ESCAPE),
                    User.email.like(pattern, escape=_LIKE_ESCAPE),
                )
            )
        total = await self._session.scalar(
            select(func.count()).select_from(matching.order_by(None).subquery())
        )
        page = await self._session.scalars(
            matching.order_by(User.created_at, User.id).limit(limit).offset(offset)
        )
        return page.all(), total or 0

    async def get(self, user_id: uuid.UUID) -> User:
        user = await self._session.get(User, user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user

    async def update(self, user_id: uuid.UUID, changes: dict[str, Any]) -> User:
        """Apply `changes` (column name to new value) to the user."""
        user = await self.get(user_id)
        stays_admin = changes.get("role", user.role) is Role.ADMIN
        stays_active = changes.get("is_active", user.is_active)
        if user.role is Role.ADMIN and user.is_active and not (stays_admin and stays_active):
            await self._ensure_another_active_admin(user_id)
        await self._ensure_available(user, changes)
        for name, value in changes.items():
            setattr(user, name, value)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # Lost a race with a registration or another change taking the same name.
            raise UserAlreadyExistsError("email or username") from exc
        return user

    async def delete(self, user_id: uuid.UUID) -> None:
        user = await self.get(user_id)
        if user.role is Role.ADMIN and user.is_active:
            await self._ensure_another_active_admin(user_id)
        await self._session.delete(user)
        await self._session.flush()

    async def _ensure_another_active_admin(self, user_id: uuid.UUID) -> None:
        # Every active admin's row is locked, in one order, until commit (PostgreSQL; SQLite
        # writes one transaction at a time anyway): two admins demoting each other at once are
        # serialised, and the second sees the first's change and is refused.
        admins = await self._session.scalars(
            select(User.id)
            .where(User.role == Role.ADMIN, User.is_active)
            .order_by(User.id)
            .with_for_update()
        )
        if not [admin for admin in admins if admin != user_id]:
            raise LastAdminError

    async def _ensure_available(self, user: User, changes: dict[str, Any]) -> None:
        for name in ("email", "username"):
            value = changes.get(name)
            if value is None or value == getattr(user, name):
                continue
            column = getattr(User, name)
            taken = await self._session.scalar(
                select(User.id).where(column == value, User.id != user.id)
            )
            if taken is not None:
                raise UserAlreadyExistsError(name)
