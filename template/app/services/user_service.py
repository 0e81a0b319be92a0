"""User records: lookups and creation. Knows nothing of HTTP."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.role import Role
from app.models.user import User


class UserAlreadyExistsError(Exception):
    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"A user with this {field} already exists")


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set_password_hash(self, user_id: uuid.UUID, hashed_password: str) -> None:
        await self._session.execute(
            update(User).where(User.id == user_id).values(hashed_password=hashed_password)
        )

    async def ensure_available(self, *, email: str, username: str) -> None:
        taken = (
            await self._session.execute(
                select(User.email, User.username).where(
                    or_(User.email == email, User.username == username)
                )
            )
        ).first()
        if taken is not None:
            raise UserAlreadyExistsError("email" if taken.email == email else "username")

    async def create(
        self, *, email: str, username: str, hashed_password: str, role: Role = Role.USER
    ) -> User:
        """Insert a user; the caller checked `ensure_available` first (before hashing), and the
        unique constraints catch a registration that raced it."""
        user = User(email=email, username=username, hashed_password=hashed_password, role=role)
        self._session.add(user)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # Lost a race with a concurrent registration of the same name or address.
            raise UserAlreadyExistsError("email or username") from exc
        return user
