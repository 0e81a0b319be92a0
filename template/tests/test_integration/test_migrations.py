"""Migrations match the models and run both ways on the test database server; the command
line keeps its log on standard error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import anyio
import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.bootstrap.settings import TestingSettings
from app.core.logging import LogFormat
from app.db.base import Base
from app.db.session import create_engine
from tests.support import PROJECT_ROOT, DatabaseFactory, alembic_config


def _round_trip(connection: Connection) -> tuple[set[str], set[str]]:
    config = alembic_config(connection)
    command.upgrade(config, "head")
    command.check(config)  # raises when the models have drifted from the migrations
    after_upgrade = set(inspect(connection).get_table_names())
    command.downgrade(config, "base")
    after_downgrade = set(inspect(connection).get_table_names())
    return after_upgrade, after_downgrade


async def test_upgrade_check_and_downgrade_on_a_fresh_database(
    database_factory: DatabaseFactory,
) -> None:
    engine = create_engine(TestingSettings(DATABASE_URL=await database_factory()))
    try:
        async with engine.begin() as connection:
            after_upgrade, after_downgrade = await connection.run_sync(_round_trip)
    finally:
        await engine.dispose()

    assert set(Base.metadata.tables) <= after_upgrade
    assert after_downgrade <= {"alembic_version"}


async def alembic_cli(
    database_url: str, *arguments: str, log_format: LogFormat = "json"
) -> subprocess.CompletedProcess[str]:
    """`python -m alembic <arguments>`, as scripts/migrate.sh runs it, on `database_url`."""
    finished = await anyio.run_process(
        [sys.executable, "-m", "alembic", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "LOG_FORMAT": log_format},
        check=False,
    )
    return subprocess.CompletedProcess(
        finished.args, finished.returncode, finished.stdout.decode(), finished.stderr.decode()
    )


def logged_messages(stderr: str, log_format: LogFormat) -> list[str]:
    """The messages of the log lines on standard error; fails on any line that is not one."""
    if log_format == "json":
        return [json.loads(line)["message"] for line in stderr.splitlines()]
    console_line = re.compile(r"\S+ \S+ INFO     alembic\.runtime\.migration  (.*)")
    matches = [console_line.fullmatch(line) for line in stderr.splitlines()]
    assert all(matches), stderr
    return [match[1] for match in matches if match]


@pytest.mark.parametrize("log_format", ["json", "console"])
async def test_the_command_line_logs_on_stderr_in_the_service_format(
    database_factory: DatabaseFactory, log_format: LogFormat
) -> None:
    database_url = await database_factory()

    upgrade = await alembic_cli(database_url, "upgrade", "head", log_format=log_format)
    current = await alembic_cli(database_url, "current", log_format=log_format)

    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stdout == ""
    applied = [m for m in logged_messages(upgrade.stderr, log_format) if "Running upgrade" in m]
    assert applied, upgrade.stderr
    assert applied[0].startswith("Running upgrade  -> ")
    # A command's result stays on standard output, alone.
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip().endswith("(head)")
    assert "Running upgrade" not in current.stderr


async def test_an_offline_sql_script_on_stdout_carries_no_log_line(
    database_factory: DatabaseFactory,
) -> None:
    script = await alembic_cli(await database_factory(), "upgrade", "head", "--sql")

    assert script.returncode == 0, script.stderr
    assert "CREATE TABLE users" in script.stdout
    assert "Running upgrade" in script.stderr
    assert not [line for line in script.stdout.splitlines() if line.startswith("{")]
