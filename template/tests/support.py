"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import importlib.util
import io
import json
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
PASSWORD = "SecurePass123"

# Returns the URL of a new, empty database that is dropped when the test run ends.
DatabaseFactory = Callable[[], Awaitable[str]]


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


def user_payload(**overrides: str) -> dict[str, str]:
    payload = {"email": "test@example.com", "username": "testuser", "password": PASSWORD}
    payload.update(overrides)
    return payload


def log_records(stream: io.StringIO) -> list[dict[str, Any]]:
    """The JSON log lines written to `stream`, parsed."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]
