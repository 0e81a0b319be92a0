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


async def test_created_users_are_stored(users: UserService) -> None:
    user = await users.create(email="alice@example.com", username="alice", hashed_password="h")

    assert isinstance(user.id, uuid.UUID)
    assert user.username == "alice"


@pytest.mark.parametrize(
    ("email", "username", "field"),
    [("alice@example.com", "other", "email"), ("other@example.com", "alice", "username")],
)
async def test_taken_email_or_username_is_refused(
    users: UserService, email: str, username: str, field: str
) -> None:
    await _create(users)

    with pytest.raises(UserAlreadyExistsError) as raised:
        await users.ensure_available(email=email, username=username)

    assert raised.value.field == field


async def test_a_lost_race_is_reported_as_a_duplicate(migrated_engine: AsyncEngine) -> None:
    """Both registrations passed the availability check; the second insert loses."""
    factory = create_session_factory(migrated_engine)
    async with session_scope(factory) as session:
        await UserService(session).create(email="r@example.com", username="r", hashed_password="h")

    async with factory() as racing_session:
        with pytest.raises(UserAlreadyExistsError):
            await UserService(racing_session).create(
                email="r@example.com", username="r", hashed_password="h"
            )
