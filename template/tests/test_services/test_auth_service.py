from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.bootstrap.settings import AppSettings
from app.core.password_hashing import PasswordHasher
from app.db.reads import RowReader
from app.db.session import create_session_factory, session_scope
from app.models.user import User
from app.schemas.user import UserCreate
from app.services.auth_service import AuthService, IncorrectPasswordError, auth_service_for
from app.services.user_service import UserAlreadyExistsError
from tests.support import PASSWORD


class CountingHasher(PasswordHasher):
    """Counts Argon2 verifications, real or decoy, to prove both login paths do the same work."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost_kib=1024, parallelism=1)
        self.verifications = 0

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        self.verifications += 1
        return await super().verify(password, hashed)

    async def verify_decoy(self, password: str) -> None:
        self.verifications += 1
        await super().verify_decoy(password)


@pytest.fixture
async def session(migrated_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with session_scope(create_session_factory(migrated_engine)) as db_session:
        yield db_session


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def reader(migrated_engine: AsyncEngine) -> RowReader:
    return RowReader(migrated_engine, concurrency=2, wait_seconds=5)


@pytest.fixture
def auth(
    session: AsyncSession, reader: RowReader, hasher: CountingHasher, settings: AppSettings
) -> AuthService:
    return auth_service_for(session, reader, hasher, settings)


NEW_USER = UserCreate(email="svc@example.com", username="svc-user", password=PASSWORD)


async def test_register_stores_an_argon2_hash_not_the_password(auth: AuthService) -> None:
    user = await auth.register(NEW_USER)

    assert user.hashed_password is not None
    assert user.hashed_password.startswith("$argon2id$")
    assert PASSWORD not in user.hashed_password


async def test_register_refuses_a_duplicate(auth: AuthService) -> None:
    await auth.register(NEW_USER)

    with pytest.raises(UserAlreadyExistsError):
        await auth.register(NEW_USER)


@pytest.mark.parametrize(
    ("login", "password", "found"),
    [
        ("svc-user", PASSWORD, True),
        ("svc@example.com", PASSWORD, True),
        # Logins are stored lower-cased: case and surrounding spaces do not matter.
        (" SVC-USER ", PASSWORD, True),
        ("Svc@Example.com", PASSWORD, True),
        ("svc-user", "WrongPass1", False),
        ("no-such-user", PASSWORD, False),
    ],
)
async def test_every_login_path_costs_exactly_one_argon2_verification(
    auth: AuthService,
    session: AsyncSession,
    hasher: CountingHasher,
    login: str,
    password: str,
    found: bool,
) -> None:
    user = await auth.register(NEW_USER)
    await session.commit()  # logins read outside this session
    hasher.verifications = 0

    user_id = await auth.authenticate(login, password)

    assert user_id == (user.id if found else None)
    assert hasher.verifications == 1


async def test_login_upgrades_a_hash_made_with_weaker_parameters(
    session: AsyncSession, reader: RowReader, settings: AppSettings
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
    strong = PasswordHasher(time_cost=2, memory_cost_kib=1024, parallelism=1)
    user = await auth_service_for(session, reader, weak, settings).register(NEW_USER)
    await session.commit()

    authenticated = await auth_service_for(session, reader, strong, settings).authenticate(
        "svc-user", PASSWORD
    )
    await session.commit()

    assert authenticated == user.id
    await session.refresh(user)
    assert user.hashed_password is not None
    assert "t=2" in user.hashed_password


@pytest.mark.parametrize("password", [PASSWORD, ""])
async def test_a_user_without_a_password_hash_never_logs_in_with_a_password(
    auth: AuthService,
    session: AsyncSession,
    migrated_engine: AsyncEngine,
    hasher: CountingHasher,
    password: str,
) -> None:
    # As a user provisioned from an OpenID Connect provider is stored (auth=oidc).
    user = await auth.register(NEW_USER)
    await session.commit()
    async with migrated_engine.begin() as connection:
        await connection.execute(
            update(User).where(User.id == user.id).values(hashed_password=None)
        )
    hasher.verifications = 0

    found = await auth.authenticate("svc-user", password)

    assert found is None
    # The decoy: the same time as a wrong password, so the refusal tells nothing more.
    assert hasher.verifications == 1
    with pytest.raises(IncorrectPasswordError):
        await auth.verify_password(user.id, password)
