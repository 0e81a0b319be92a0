"""Alembic environment: async engine, URL from the app settings, batch mode on SQLite.

Tests hand in an open connection through `config.attributes["connection"]` so migrations can
run inside an event loop that is already running.

Log records ("Running upgrade ...") go to standard error, in the service's LOG_FORMAT: standard
output carries what a command prints as its result (`upgrade --sql` scripts, `current`,
`history`), which is piped or redirected into files.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from functools import cache
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import app.models  # noqa: F401 - registers every table on the metadata
from app.core.config import Settings
from app.core.config_loading import load_settings_or_exit
from app.core.logging import setup_logging
from app.db.base import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


@cache
def app_settings() -> Settings:
    return load_settings_or_exit(Settings)


if config.attributes.get("configure_logger", True):
    # The service's format, so `scripts/start.sh` logs one; INFO whatever LOG_LEVEL says, so
    # every run shows the revisions it applied.
    setup_logging("INFO", app_settings().LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def database_url() -> str:
    explicit = config.get_main_option("sqlalchemy.url")
    if explicit:
        return explicit
    return app_settings().DATABASE_URL


def render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write app column types as plain SQLAlchemy types, so migrations import nothing from app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
