"""Items and who may touch them. Knows nothing of HTTP.

Every query is scoped to an owner unless the caller is an admin: another user's item is not
found, exactly like an item that does not exist, so ids reveal nothing about other users.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.item import Item
from app.models.user import User


class ItemNotFoundError(Exception):
    def __init__(self) -> None:
        super().__init__("Item not found")


class ItemLimitReachedError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"You have {limit} items, the most one user may have; delete one first")


@dataclass(frozen=True, slots=True)
class ItemScope:
    """Whose items a caller reaches: `owner_id`'s, or everyone's when `owner_id` is None (an
    admin)."""

    owner_id: uuid.UUID | None


class ItemService:
    def __init__(self, session: AsyncSession, *, max_per_owner: int) -> None:
        self._session = session
        self._max_per_owner = max_per_owner

    async def create(self, owner_id: uuid.UUID, *, title: str, description: str | None) -> Item:
        """Raises ItemLimitReachedError when the owner has `max_per_owner` items already."""
        # The owner's row stays locked until commit (PostgreSQL; SQLite writes one transaction at
        # a time anyway): two creations racing past the count cannot both pass it.
        await self._session.execute(select(User.id).where(User.id == owner_id).with_for_update())
        owned = await self._session.scalar(
            select(func.count()).select_from(Item).where(Item.owner_id == owner_id)
        )
        if (owned or 0) >= self._max_per_owner:
            raise ItemLimitReachedError(self._max_per_owner)
        item = Item(owner_id=owner_id, title=title, description=description)
        self._session.add(item)
        await self._session.flush()
        return item

    async def list(
        self, scope: ItemScope, *, limit: int, offset: int
    ) -> tuple[Sequence[Item], int]:
        """A page of the items in scope, newest first, and how many there are in all."""
        in_scope = self._scoped(select(Item), scope)
        total = await self._session.scalar(
            self._scoped(select(func.count()).select_from(Item), scope)
        )
        page = await self._session.scalars(
            in_scope.order_by(Item.created_at.desc(), Item.id).limit(limit).offset(offset)
        )
        return page.all(), total or 0

    async def get(self, scope: ItemScope, item_id: uuid.UUID) -> Item:
        found = self._scoped(select(Item), scope).where(Item.id == item_id)
        item: Item | None = await self._session.scalar(found)
        if item is None:
            raise ItemNotFoundError
        return item

    async def update(self, scope: ItemScope, item_id: uuid.UUID, changes: dict[str, Any]) -> Item:
        item = await self.get(scope, item_id)
        for name, value in changes.items():
            setattr(item, name, value)
        await self._session.flush()
        return item

    async def delete(self, scope: ItemScope, item_id: uuid.UUID) -> None:
        await self._session.delete(await self.get(scope, item_id))
        await self._session.flush()

    @staticmethod
    def _scoped(statement: Select[Any], scope: ItemScope) -> Select[Any]:
        if scope.owner_id is None:
            return statement
        return statement.where(Item.owner_id == scope.owner_id)
