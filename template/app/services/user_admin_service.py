"""What only admins do: find users. Changing and deleting users is UserService's, whose rules
(an active admin always remains) hold for admins and for users' own accounts alike. Knows
nothing of HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.user import User

_LIKE_ESCAPE = "\\"


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
