"""The first admin from FIRST_SUPERUSER_*: created once, by scripts/migrate.sh, never touching a
user that exists, and held to the password policy in production."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from httpx import AsyncClient
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bootstrap.first_superuser import (
    FirstSuperuserError,
    checked_password,
    ensure_first_superuser,
)
from app.bootstrap.settings import AppSettings, TestingSettings
from app.core.config import Environment
from app.core.config_loading import ConfigurationError, load_settings
from app.db.session import create_engine
from app.models.role import Role
from app.models.user import AccountText, User
from tests.support import PROJECT_ROOT, DatabaseFactory, sign_up

ADMIN_EMAIL = "Root@Example.com"
ADMIN_PASSWORD = "correct horse battery staple"


def configured(settings: AppSettings, **overrides: object) -> AppSettings:
    values: dict[str, object] = {
        "DATABASE_URL": settings.DATABASE_URL,
        "FIRST_SUPERUSER_EMAIL": ADMIN_EMAIL,
        "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        **overrides,
    }
    return TestingSettings(**values)  # type: ignore[arg-type]


async def users(engine: AsyncEngine) -> list[tuple[AccountText, AccountText, Role]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(User.email, User.username, User.role))
    return sorted((email, username, role) for email, username, role in rows)


async def test_the_first_admin_is_created_once_and_logs_in(
    settings: AppSettings, migrated_engine: AsyncEngine, client: AsyncClient
) -> None:
    assert await ensure_first_superuser(configured(settings)) is True
    assert await ensure_first_superuser(configured(settings)) is False

    assert await users(migrated_engine) == [("root@example.com", "admin", Role.ADMIN)]
    login = await client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = await client.get("/api/v1/users", headers=headers)
    assert listed.status_code == 200
    assert listed.json()["total"] == 1


async def test_without_the_variables_nothing_is_created(
    settings: AppSettings, migrated_engine: AsyncEngine
) -> None:
    assert await ensure_first_superuser(settings) is False
    assert await users(migrated_engine) == []


async def test_an_existing_user_with_that_address_is_left_as_it_is(
    settings: AppSettings, migrated_engine: AsyncEngine, client: AsyncClient
) -> None:
    await sign_up(client, migrated_engine, "root")  # root@example.com, a plain user
    async with migrated_engine.begin() as connection:
        before = (await connection.execute(select(User.hashed_password))).scalar_one()

    assert await ensure_first_superuser(configured(settings)) is False

    assert await users(migrated_engine) == [("root@example.com", "root", Role.USER)]
    async with migrated_engine.begin() as connection:
        assert (await connection.execute(select(User.hashed_password))).scalar_one() == before


async def test_a_taken_username_is_refused_naming_the_variable(
    settings: AppSettings, migrated_engine: AsyncEngine, client: AsyncClient
) -> None:
    await sign_up(client, migrated_engine, "admin")

    with pytest.raises(FirstSuperuserError, match="FIRST_SUPERUSER_USERNAME"):
        await ensure_first_superuser(configured(settings))
    assert [username for _, username, _ in await users(migrated_engine)] == ["admin"]


async def test_an_address_looking_like_another_users_is_refused_naming_the_variable(
    settings: AppSettings, migrated_engine: AsyncEngine, client: AsyncClient
) -> None:
    await sign_up(client, migrated_engine, "root")  # root@example.com

    # A Cyrillic "o" (U+043E) for the first Latin one.
    lookalike = configured(settings, FIRST_SUPERUSER_EMAIL="r\u043eot@example.com")
    with pytest.raises(FirstSuperuserError, match=r"looks like.*FIRST_SUPERUSER_EMAIL"):
        await ensure_first_superuser(lookalike)
    assert [username for _, username, _ in await users(migrated_engine)] == ["root"]


async def test_replicas_starting_together_create_one_admin(
    settings: AppSettings, migrated_engine: AsyncEngine
) -> None:
    created = await asyncio.gather(*(ensure_first_superuser(configured(settings)) for _ in "ab"))

    assert sorted(created) == [False, True]
    async with migrated_engine.connect() as connection:
        admins = await connection.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN)
        )
    assert admins == 1


def test_production_holds_the_password_to_the_policy() -> None:
    with pytest.raises(FirstSuperuserError, match="FIRST_SUPERUSER_PASSWORD must have at least"):
        checked_password(SecretStr("admin"), Environment.PRODUCTION)
    with pytest.raises(FirstSuperuserError, match="most common passwords"):
        checked_password(SecretStr("Password1"), Environment.PRODUCTION)
    with pytest.raises(FirstSuperuserError, match="at least 15 characters"):
        checked_password(SecretStr("short but fine"), Environment.PRODUCTION)
    with pytest.raises(FirstSuperuserError, match=r"must not contain the username$"):
        checked_password(
            SecretStr("the admin passphrase"),
            Environment.PRODUCTION,
            username="admin",
            email="root@example.com",
        )
    with pytest.raises(FirstSuperuserError, match=r"before the @$"):
        checked_password(
            SecretStr("root of all passphrases"),
            Environment.PRODUCTION,
            username="admin",
            email="root@example.com",
        )
    # PASSWORD_MIN_LENGTH, when the service sets another.
    short = SecretStr("short but fine")
    assert checked_password(short, Environment.PRODUCTION, min_length=12) == "short but fine"
    with pytest.raises(FirstSuperuserError, match="empty"):
        checked_password(SecretStr(""), Environment.DEVELOPMENT)
    assert checked_password(SecretStr(ADMIN_PASSWORD), Environment.PRODUCTION) == ADMIN_PASSWORD
    # A development setup may use a short one.
    assert checked_password(SecretStr("admin"), Environment.DEVELOPMENT) == "admin"


def test_the_address_and_password_come_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", "root@example.com")
    monkeypatch.delenv("FIRST_SUPERUSER_PASSWORD", raising=False)

    with pytest.raises(ConfigurationError, match="must be set together"):
        load_settings("test", AppSettings)
    monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", "not-an-address")
    monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", ADMIN_PASSWORD)
    with pytest.raises(ConfigurationError, match="FIRST_SUPERUSER_EMAIL"):
        load_settings("test", AppSettings)
    # Empty, as in a copied .env.example, is unset.
    monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", "")
    monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", "")
    assert load_settings("test", AppSettings).FIRST_SUPERUSER_EMAIL is None


def migrate(
    database_url: str, *arguments: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        **variables,
    }
    return subprocess.run(  # noqa: S603 - the test's own arguments
        ["sh", "scripts/migrate.sh", *arguments],  # noqa: S607
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
async def test_migrate_sh_creates_the_admin_once_and_refuses_half_a_configuration(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory()
    admin = {"FIRST_SUPERUSER_EMAIL": ADMIN_EMAIL, "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD}

    half = await asyncio.to_thread(migrate, url, FIRST_SUPERUSER_EMAIL=ADMIN_EMAIL)
    first = await asyncio.to_thread(migrate, url, **admin)
    again = await asyncio.to_thread(migrate, url, **admin)

    assert half.returncode != 0
    assert "must be set together" in half.stderr
    assert "Traceback" not in half.stderr
    assert first.returncode == 0, first.stderr
    assert "first admin created" in first.stderr
    assert again.returncode == 0, again.stderr
    assert "first admin created" not in again.stderr
    engine = create_engine(TestingSettings(DATABASE_URL=url))
    try:
        assert await users(engine) == [("root@example.com", "admin", Role.ADMIN)]
        async with engine.begin() as connection:
            # The variables bootstrap; they do not manage the account afterwards.
            await connection.execute(update(User).values(role=Role.USER))
        assert (await asyncio.to_thread(migrate, url, **admin)).returncode == 0
        assert await users(engine) == [("root@example.com", "admin", Role.USER)]
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_migrate_sh_short_of_the_heads_creates_no_admin(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory()
    admin = {"FIRST_SUPERUSER_EMAIL": ADMIN_EMAIL, "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD}

    partial = await asyncio.to_thread(migrate, url, "0002", **admin)

    assert partial.returncode == 0, partial.stderr
    assert "Running upgrade 0001 -> 0002" in partial.stderr
    assert "Running upgrade 0002 -> 0003" not in partial.stderr
    assert "first admin created" not in partial.stderr
    engine = create_engine(TestingSettings(DATABASE_URL=url))
    try:
        assert await users(engine) == []
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_migrate_sh_refuses_an_unknown_revision_in_one_line(
    database_factory: DatabaseFactory,
) -> None:
    unknown = await asyncio.to_thread(migrate, await database_factory(), "no-such-revision")
    too_many = await asyncio.to_thread(migrate, await database_factory(), "heads", "heads")

    assert unknown.returncode != 0
    last_line = unknown.stderr.strip().splitlines()[-1]
    assert last_line == "FAILED: Can't locate revision identified by 'no-such-revision'"
    assert too_many.returncode != 0
    assert too_many.stderr.strip() == "usage: python -m app.bootstrap.migrate [REVISION]"
    for result in (unknown, too_many):
        assert "Traceback" not in result.stderr
