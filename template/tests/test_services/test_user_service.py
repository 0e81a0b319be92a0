from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.session import create_session_factory, session_scope
from app.services.user_service import UserAlreadyExistsError, UserService


@pytest.fixture
async def users(migrated_engine: AsyncEngine) -> AsyncIterator[UserService]:
    async with session_scope(create_session_factory(migrated_engine)) as session:
        yield UserService(session)


async def _create(users: UserService, name: str = "alice") -> uuid.UUID:
    user = await users.create(email=f"{name}@example.com", username=name, hashed_password="h")
    return user.id


async def test_users_are_found_by_id(users: UserService) -> None:
    user_id = await _create(users)

    found = await users.get_by_id(user_id)

    assert found is not None
    assert found.id == user_id


async def test_unknown_users_are_none(users: UserService) -> None:
    assert await users.get_by_id(uuid.uuid4()) is None


@pytest.mark.parametrize(
    ("email", "username", "field"),
    [("alice@example.com", "other", "email"), ("other@example.com", "alice", "username")],
)
async def test_taken_email_or_username_is_refused(
    users: UserService, email: str, username: str, field: str
) -> None:
    await _create(users)

    with pytest.raises(UserAlreadyExistsError) as raised:
        await users.create(email=email, username=username, hashed_password="h")

    assert raised.value.field == field


async def test_a_lost_race_is_reported_as_a_duplicate(
    migrated_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = create_session_factory(migrated_engine)
    async with session_scope(factory) as session:
        await UserService(session).create(email="r@example.com", username="r", hashed_password="h")

    async def nothing_taken(self: UserService, *, email: str, username: str) -> None:
        return None

    monkeypatch.setattr(UserService, "ensure_available", nothing_taken)
    async with factory() as racing_session:
        with pytest.raises(UserAlreadyExistsError):
            await UserService(racing_session).create(
                email="r@example.com", username="r", hashed_password="h"
            )
