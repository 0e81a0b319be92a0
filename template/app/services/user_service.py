"""User records: lookups and creation. Knows nothing of HTTP."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.user import User


class UserAlreadyExistsError(Exception):
    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"A user with this {field} already exists")


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_id(self, user_id: uuid.UUID) -> User | None:
        return await self._session.get(User, user_id)

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

    async def create(self, *, email: str, username: str, hashed_password: str) -> User:
        await self.ensure_available(email=email, username=username)
        user = User(email=email, username=username, hashed_password=hashed_password)
        self._session.add(user)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # Lost a race with a concurrent registration of the same name or address.
            raise UserAlreadyExistsError("email or username") from exc
        return user
