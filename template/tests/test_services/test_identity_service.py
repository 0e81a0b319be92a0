from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bootstrap.settings import AppSettings
from app.core.password_hashing import PasswordHasher
from app.core.tokens import AccessTokenVerifier, create_access_token
from app.db.reads import RowReader
from app.db.session import create_session_factory, session_scope
from app.models.role import Role
from app.models.user import User
from app.schemas.user import UserCreate
from app.services.auth_service import AuthenticationError, auth_service_for
from app.services.identity_service import AuthenticatedUser, IdentityService
from tests.support import PASSWORD

NEW_USER = UserCreate(email="who@example.com", username="who-am-i", password=PASSWORD)


@pytest.fixture
def identity(migrated_engine: AsyncEngine, settings: AppSettings) -> IdentityService:
    return IdentityService(
        RowReader(migrated_engine, concurrency=2, wait_seconds=5),
        AccessTokenVerifier(secret_key=settings.SECRET_KEY.get_secret_value(), cache_size=16),
    )


@pytest.fixture
async def user(migrated_engine: AsyncEngine, settings: AppSettings) -> User:
    hasher = PasswordHasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
    async with session_scope(create_session_factory(migrated_engine)) as session:
        reader = RowReader(migrated_engine, concurrency=2, wait_seconds=5)
        return await auth_service_for(session, reader, hasher, settings).register(NEW_USER)


def token_for(subject: str, settings: AppSettings, minutes: int = 5) -> str:
    return create_access_token(
        subject,
        secret_key=settings.SECRET_KEY.get_secret_value(),
        expires_in=timedelta(minutes=minutes),
    ).token


async def test_token_resolves_to_a_snapshot_of_its_user(
    identity: IdentityService, user: User, settings: AppSettings
) -> None:
    caller = await identity.user_from_token(token_for(str(user.id), settings))

    assert caller == AuthenticatedUser(
        id=user.id,
        email=user.email,
        username=user.username,
        role=Role.USER,
        is_active=True,
        created_at=caller.created_at,
    )
    assert caller.role is Role.USER
    assert not caller.is_admin
    assert caller.created_at.replace(tzinfo=None) == user.created_at.replace(tzinfo=None)
    assert "hashed_password" not in {field.name for field in dataclasses.fields(caller)}


async def test_token_of_a_deleted_user_is_refused(
    identity: IdentityService, user: User, settings: AppSettings, migrated_engine: AsyncEngine
) -> None:
    token = token_for(str(user.id), settings)
    async with session_scope(create_session_factory(migrated_engine)) as session:
        await session.delete(await session.get_one(User, user.id))

    with pytest.raises(AuthenticationError, match="does not exist"):
        await identity.user_from_token(token)


async def test_token_of_a_deactivated_user_is_refused(
    identity: IdentityService, user: User, settings: AppSettings, migrated_engine: AsyncEngine
) -> None:
    async with migrated_engine.begin() as connection:
        await connection.execute(update(User).where(User.id == user.id).values(is_active=False))

    with pytest.raises(AuthenticationError, match="inactive"):
        await identity.user_from_token(token_for(str(user.id), settings))


async def test_a_remembered_token_loses_access_with_its_user(
    identity: IdentityService, user: User, settings: AppSettings, migrated_engine: AsyncEngine
) -> None:
    # The token's verdict may be remembered; the user is read on every request all the same.
    token = token_for(str(user.id), settings)
    assert (await identity.user_from_token(token)).is_active
    async with migrated_engine.begin() as connection:
        await connection.execute(update(User).where(User.id == user.id).values(is_active=False))

    with pytest.raises(AuthenticationError, match="inactive"):
        await identity.user_from_token(token)

    async with session_scope(create_session_factory(migrated_engine)) as session:
        await session.delete(await session.get_one(User, user.id))
    with pytest.raises(AuthenticationError, match="does not exist"):
        await identity.user_from_token(token)


@pytest.mark.parametrize(
    ("subject", "secret_key", "minutes"),
    [
        ("not-a-uuid", None, 5),
        ("00000000-0000-4000-8000-000000000000", "another-secret-key-of-32-characters!!", 5),
        ("00000000-0000-4000-8000-000000000000", None, -1),
    ],
    ids=["subject-not-a-uuid", "forged-signature", "expired"],
)
async def test_bad_tokens_are_refused_before_any_lookup(
    identity: IdentityService,
    settings: AppSettings,
    subject: str,
    secret_key: str | None,
    minutes: int,
) -> None:
    token = create_access_token(
        subject,
        secret_key=secret_key or settings.SECRET_KEY.get_secret_value(),
        expires_in=timedelta(minutes=minutes),
    ).token

    with pytest.raises(AuthenticationError, match="invalid token"):
        await identity.user_from_token(token)
