"""Fixtures: an isolated database per run, the app started on it, and an HTTP client.

Runs on a SQLite file by default. With TEST_DATABASE_URL pointing at a PostgreSQL server, each
run creates its own databases there, named TEST_DATABASE_PREFIX (default `test_`) and random
hex, and drops them at the end.

Two markers sort the tests:
- `slow`: the proofs that take a while (subprocesses, timing statistics). Left out of a plain
  `pytest` run (reported as deselected); `pytest --slow` runs them too, as CI does.
- `database`: the tests that use the test database, so their outcome may differ between SQLite
  and PostgreSQL. Set here on every test whose fixtures lead to `database_factory`, and by hand
  on those that reach a database another way. `pytest --slow -m database` with
  TEST_DATABASE_URL runs just the tests the PostgreSQL run adds to a SQLite one.
"""

from __future__ import annotations

import importlib.util
import os

from tests.features import PYTEST_PLUGINS, TEST_ENVIRONMENT

# Before any import of app.main, whose module-level app reads the environment.
os.environ["ENVIRONMENT"] = "test"
os.environ.update(TEST_ENVIRONMENT)

pytest_plugins = PYTEST_PLUGINS
# With the `email` option PATCH /users/me refuses a new address, which confirms by mail instead
# (tests/test_api/test_account_mail.py): the tests of setting it at once do not apply.
collect_ignore = (
    ["test_api/test_address_change.py"]
    if importlib.util.find_spec("app.integrations.email") is not None
    else []
)

import io
import logging
from collections.abc import AsyncIterator, Iterator

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
from tests.support import (
    DATABASE_PREFIX_VARIABLE,
    DatabaseFactory,
    alembic_config,
    client_for,
    database_prefix,
    new_database_name,
    started_app,
)

SLOW_OPTION = "--slow"
# The fixture every test of the database leads to; `_empty_tables` (autouse) is left out of the
# search, or every test would count as one.
DATABASE_FIXTURE = "database_factory"
_NOT_A_REASON = frozenset({"_empty_tables"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        SLOW_OPTION,
        action="store_true",
        default=False,
        help="also run the tests marked slow (subprocesses, timing statistics), as CI does",
    )


def pytest_configure(config: pytest.Config) -> None:
    # A bad prefix stops the run before the first test, in one line.
    try:
        database_prefix(os.environ.get(DATABASE_PREFIX_VARIABLE))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def uses_the_database(item: pytest.Item) -> bool:
    """Whether the fixtures `item` requests (as arguments, by `usefixtures` or autouse), and
    the fixtures those request in turn, lead to `database_factory`."""
    if not isinstance(item, pytest.Function):
        return False
    definitions = item._fixtureinfo.name2fixturedefs
    seen: set[str] = set()
    pending: list[str] = [
        name for name in item._fixtureinfo.initialnames if name not in _NOT_A_REASON
    ]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name == DATABASE_FIXTURE:
            return True
        # Every definition of the name: an override may request the one it overrides.
        for definition in definitions.get(name, ()):
            pending.extend(definition.argnames)
    return False


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if uses_the_database(item):
            item.add_marker(pytest.mark.database)
    if config.getoption(SLOW_OPTION):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


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
def _empty_tables(request: pytest.FixtureRequest) -> None:
    """Every test of the database starts on the migrated, empty tables and leaves them empty;
    the other tests start no database at all."""
    if request.node.get_closest_marker("database") is not None:
        request.getfixturevalue("_tables_emptied_afterwards")


@pytest.fixture
async def _tables_emptied_afterwards(migrated_engine: AsyncEngine) -> AsyncIterator[None]:
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
