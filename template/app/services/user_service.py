"""User records: lookups, creation, changes and deletion. Knows nothing of HTTP.

One rule guards changes, whoever makes them (an admin, or users to their own account): the
service always keeps an active admin. Demoting, deactivating or deleting the last one is
refused, checked under row locks on PostgreSQL so two admins doing it to each other at once
cannot both succeed.

An address is taken by an account whose address looks like it, too (a Cyrillic "a" for a Latin
one, a fullwidth letter, a combining mark): each user's `email_lookalike_key`
(app/core/lookalikes.py) is unique, and set here whenever the address is.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.lookalikes import email_lookalike_key
from app.models.one_time_token import OneTimeToken
from app.models.role import Role
from app.models.user import User


class UserAlreadyExistsError(Exception):
    def __init__(self, field: str, *, lookalike: bool = False) -> None:
        self.field = field
        if lookalike:
            super().__init__(f"A user with an {field} that looks like this one already exists")
        else:
            super().__init__(f"A user with this {field} already exists")


class UserNotFoundError(Exception):
    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        super().__init__("User not found")


class LastAdminError(Exception):
    def __init__(self) -> None:
        super().__init__("The last active admin cannot be demoted, deactivated or deleted")


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: uuid.UUID) -> User:
        user = await self._session.get(User, user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        return user

    async def ensure_available(
        self,
        *,
        email: str | None = None,
        username: str | None = None,
        except_id: uuid.UUID | None = None,
    ) -> None:
        """Raise UserAlreadyExistsError when another user (not `except_id`) has the address,
        one that looks like it, or the name; None checks nothing."""
        key = None if email is None else email_lookalike_key(email)
        taken_by = [
            column == value
            for column, value in (
                (User.email, email),
                (User.email_lookalike_key, key),
                (User.username, username),
            )
            if value is not None
        ]
        if not taken_by:
            return
        query = select(User.email, User.email_lookalike_key, User.username).where(or_(*taken_by))
        if except_id is not None:
            query = query.where(User.id != except_id)
        taken = (await self._session.execute(query.limit(1))).first()
        if taken is None:
            return
        if taken.email == email:
            raise UserAlreadyExistsError("email")
        if key is not None and taken.email_lookalike_key == key:
            raise UserAlreadyExistsError("email", lookalike=True)
        raise UserAlreadyExistsError("username")

    async def create(
        self, *, email: str, username: str, hashed_password: str, role: Role = Role.USER
    ) -> User:
        """Insert a user; the caller checked `ensure_available` first (before hashing), and the
        unique constraints catch a registration that raced it."""
        user = User(
            email=email,
            email_lookalike_key=email_lookalike_key(email),
            username=username,
            hashed_password=hashed_password,
            role=role,
        )
        self._session.add(user)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # Lost a race with a concurrent registration of the same name or address.
            raise UserAlreadyExistsError("email or username") from exc
        return user

    async def update(self, user_id: uuid.UUID, changes: dict[str, Any]) -> User:
        """Apply `changes` (column name to new value) to the user."""
        user = await self.get(user_id)
        stays_admin = changes.get("role", user.role) is Role.ADMIN
        stays_active = changes.get("is_active", user.is_active)
        if user.role is Role.ADMIN and user.is_active and not (stays_admin and stays_active):
            await self._ensure_another_active_admin(user_id)
        await self.ensure_available(
            email=_changed(user, changes, "email"),
            username=_changed(user, changes, "username"),
            except_id=user.id,
        )
        if _changed(user, changes, "email") is not None:
            # A new address is unverified, and every link mailed to the old one (a verification,
            # a password reset) is void.
            user.email_verified_at = None
            await self._session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user.id))
        for name, value in changes.items():
            setattr(user, name, value)
        if "email" in changes:
            user.email_lookalike_key = email_lookalike_key(changes["email"])
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # Lost a race with a registration or another change taking the same name.
            raise UserAlreadyExistsError("email or username") from exc
        return user

    async def delete(self, user_id: uuid.UUID) -> None:
        """Delete the user; the database deletes what they own with them (ON DELETE CASCADE)."""
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


def _changed(user: User, changes: dict[str, Any], name: str) -> str | None:
    value = changes.get(name)
    return None if value is None or value == getattr(user, name) else str(value)
