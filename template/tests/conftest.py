"""Fixtures: an isolated database per run, the app started on it, and an HTTP client.

Runs on a SQLite file by default. With TEST_DATABASE_URL pointing at a PostgreSQL server, each
run creates its own databases there, named TEST_DATABASE_PREFIX (default `test_`) and random
hex, and drops them at the end.
"""

from __future__ import annotations

import os

from tests.features import PYTEST_PLUGINS, TEST_ENVIRONMENT

# Before any import of app.main, whose module-level app reads the environment.
os.environ["ENVIRONMENT"] = "test"
os.environ.update(TEST_ENVIRONMENT)

pytest_plugins = PYTEST_PLUGINS

import io
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import make_url, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.bootstrap.settings import AppSettings, TestingSettings
from app.core.logging import build_handler
from app.db.base import Base
from app.db.session import create_engine
from app.models.role import Role
from tests.support import (
    DATABASE_PREFIX_VARIABLE,
    PASSWORD,
    DatabaseFactory,
    alembic_config,
    client_for,
    database_prefix,
    new_database_name,
    sign_up,
    started_app,
    user_payload,
)


def pytest_configure(config: pytest.Config) -> None:
    # A bad prefix stops the run before the first test, in one line.
    try:
        database_prefix(os.environ.get(DATABASE_PREFIX_VARIABLE))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def upgrade_to_heads(connection: Connection) -> None:
    """Every branch: the template's revisions and the service's own."""
    command.upgrade(alembic_config(connection), "heads")


@pytest.fixture(scope="session")
async def database_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[DatabaseFactory]:
    """Creates empty databases on demand; every one is dropped when the run ends."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    prefix = database_prefix(os.environ.get(DATABASE_PREFIX_VARIABLE))
    created: list[str] = []
    admin: AsyncEngine | None = None
    if server_url:
        admin_url = make_url(TestingSettings(DATABASE_URL=server_url).DATABASE_URL)
        admin = create_async_engine(
            admin_url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
        )

    async def create() -> str:
        if admin is None:
            path = tmp_path_factory.mktemp("db") / "test.db"
            return f"sqlite+aiosqlite:///{path}"
        name = new_database_name(prefix)
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield create

    if admin is not None:
        async with admin.connect() as connection:
            for name in created:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
async def settings(database_factory: DatabaseFactory) -> AppSettings:
    return TestingSettings(DATABASE_URL=await database_factory())


@pytest.fixture(scope="session")
async def migrated_engine(settings: AppSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(upgrade_to_heads)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables(migrated_engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    async with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every record at INFO and above, as the service writes it (JSON lines), while a test runs."""
    stream = io.StringIO()
    handler = build_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


@pytest.fixture
async def app(settings: AppSettings, migrated_engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    async with started_app(settings) as application:
        yield application


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    """The app with GET /explode, a route that fails with an unexpected error."""

    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/explode", explode)
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with client_for(app) as http_client:
        yield http_client


@pytest.fixture
async def registered_user(client: AsyncClient) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/register", json=user_payload())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def auth_headers(client: AsyncClient, registered_user: dict[str, Any]) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "testuser", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def admin_headers(client: AsyncClient, migrated_engine: AsyncEngine) -> dict[str, str]:
    """An admin's bearer header (the user `admin`, made one in the database)."""
    _admin_id, headers = await sign_up(client, migrated_engine, "admin", Role.ADMIN)
    return headers
