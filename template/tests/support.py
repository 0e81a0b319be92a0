"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from alembic.config import Config
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import Connection

from app.bootstrap.settings import AppSettings
from app.main import create_app

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Who may call a route (tests/test_api/test_route_access.py holds every route to its rule).
PUBLIC, USER, ADMIN = "public", "signed-in user", "admin"

# Returns the URL of a new, empty database that is dropped when the test run ends.
DatabaseFactory = Callable[[], Awaitable[str]]
# The `new_user` fixture: a new signed-in user of the given name (and role, by default a plain
# user), as the service's kind of accounts makes one: its id and bearer header.
NewUser = Callable[..., Awaitable[tuple[str, dict[str, str]]]]

# The names of the databases a run creates on TEST_DATABASE_URL's server: the prefix, then
# random hex, so runs sharing a server never collide and leftovers are easy to find.
DATABASE_PREFIX_VARIABLE = "TEST_DATABASE_PREFIX"
DEFAULT_DATABASE_PREFIX = "test_"
_DATABASE_SUFFIX_LENGTH = 16
# PostgreSQL keeps 63 bytes of a name (NAMEDATALEN - 1) and cuts the rest silently.
_MAX_DATABASE_NAME_LENGTH = 63
MAX_DATABASE_PREFIX_LENGTH = _MAX_DATABASE_NAME_LENGTH - _DATABASE_SUFFIX_LENGTH
# What PostgreSQL takes unquoted and unchanged, so `psql -c 'DROP DATABASE <name>'` works too.
_PLAIN_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def database_prefix(value: str | None) -> str:
    """The prefix of the test databases' names: `value` (TEST_DATABASE_PREFIX), or `test_` when
    it is unset or empty (as the settings treat an empty variable)."""
    if not value:
        return DEFAULT_DATABASE_PREFIX
    if not _PLAIN_IDENTIFIER.fullmatch(value) or len(value) > MAX_DATABASE_PREFIX_LENGTH:
        raise ValueError(
            f"{DATABASE_PREFIX_VARIABLE}={value!r} is not a usable database name prefix: use 1 to "
            f"{MAX_DATABASE_PREFIX_LENGTH} lowercase letters, digits and underscores, starting "
            "with a letter or an underscore (e.g. ci_test_)"
        )
    return value


def new_database_name(prefix: str) -> str:
    """A name no other run uses: the prefix and random hex."""
    return f"{prefix}{uuid.uuid4().hex[:_DATABASE_SUFFIX_LENGTH]}"


def load_script(name: str) -> ModuleType:
    """A module of scripts/ (not a package: each script also runs on its own)."""
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@asynccontextmanager
async def started_app(settings: AppSettings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running, as uvicorn would run it."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


# Addresses where nothing listens: the app starts, and its first use of them fails.
UNREACHABLE_DATABASE_URL = "sqlite+aiosqlite:////nonexistent-directory/unreachable.db"
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"


def client_for(application: FastAPI, address: str = "127.0.0.1") -> AsyncClient:
    """An HTTP client calling the app in-process, as if from `address` (rate limits key on it)."""
    transport = ASGITransport(app=application, client=(address, 50000))
    return AsyncClient(transport=transport, base_url="http://testserver")


def log_records(stream: io.StringIO) -> list[dict[str, Any]]:
    """The JSON log lines written to `stream`, parsed."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]
