"""Migrations match the models and run every way on the test database server.

Every revision is applied one at a time (each upgrade on its own), then everything is undone down
to base, then applied again: a downgrade that leaves something behind (a PostgreSQL enum type, an
index) makes the second upgrade fail. Each branch, the template's and the service's, has one head.
The command line keeps its log on standard error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    DateTime,
    String,
    Uuid,
    column,
    insert,
    inspect,
    pool,
    select,
    table,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.bootstrap.settings import TestingSettings
from app.core.logging import LogFormat
from app.core.lookalikes import email_lookalike_key
from app.db.base import Base
from app.db.session import create_engine
from tests.support import PROJECT_ROOT, DatabaseFactory, alembic_config, load_script


def _enum_types(connection: Connection) -> set[str]:
    if connection.dialect.name != "postgresql":
        return set()
    rows = connection.execute(
        text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE t.typtype = 'e' AND n.nspname = current_schema()"
        )
    )
    return {row[0] for row in rows}


def _walk(connection: Connection) -> dict[str, set[str]]:
    config = alembic_config(connection)
    script = ScriptDirectory.from_config(config)
    # walk_revisions goes from the heads down; reversed, every revision follows its parents.
    for revision in reversed(list(script.walk_revisions())):
        command.upgrade(config, revision.revision)
    tables_after_upgrade = set(inspect(connection).get_table_names())
    command.check(config)  # raises when the models have drifted from the migrations
    command.downgrade(config, "base")
    left_after_downgrade = set(inspect(connection).get_table_names())
    enums_after_downgrade = _enum_types(connection)
    command.upgrade(config, "heads")
    command.check(config)
    return {
        "after upgrade": tables_after_upgrade,
        "after downgrade": left_after_downgrade,
        "enum types after downgrade": enums_after_downgrade,
    }


async def test_every_revision_up_down_to_base_and_up_again(
    database_factory: DatabaseFactory,
) -> None:
    engine = create_engine(TestingSettings(DATABASE_URL=await database_factory()))
    try:
        async with engine.begin() as connection:
            seen = await connection.run_sync(_walk)
    finally:
        await engine.dispose()

    assert set(Base.metadata.tables) <= seen["after upgrade"]
    assert seen["after downgrade"] <= {"alembic_version"}
    assert seen["enum types after downgrade"] == set()


def test_each_branch_has_one_head() -> None:
    branches = load_script("new_migration")
    script = ScriptDirectory.from_config(alembic_config())

    assert len(branches.branch_heads(script, branches.TEMPLATE_VERSIONS)) == 1
    # None until the service writes its first revision.
    assert len(branches.branch_heads(script, branches.SERVICE_VERSIONS)) <= 1


def test_template_revisions_never_build_on_the_services() -> None:
    branches = load_script("new_migration")
    script = ScriptDirectory.from_config(alembic_config())
    template_head = branches.single_head(script, branches.TEMPLATE_VERSIONS)
    service = {
        revision.revision
        for revision in script.walk_revisions()
        if Path(revision.path).parent.resolve() == branches.SERVICE_VERSIONS.resolve()
    }

    assert template_head is not None
    assert branches.ancestors(script, [template_head]).isdisjoint(service)


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


def current_heads(stdout: str) -> set[str]:
    """The revisions `alembic current` printed, each on a line of its own marked as a head."""
    lines = stdout.splitlines()
    assert lines, "alembic current printed nothing"
    for line in lines:
        assert re.fullmatch(r"\w+( \(.+\))* \((effective )?head\)", line), stdout
    return {line.split(" ", 1)[0] for line in lines}


@pytest.mark.slow
@pytest.mark.parametrize("log_format", ["json", "console"])
async def test_the_command_line_logs_on_stderr_in_the_service_format(
    database_factory: DatabaseFactory, log_format: LogFormat
) -> None:
    database_url = await database_factory()

    upgrade = await alembic_cli(database_url, "upgrade", "heads", log_format=log_format)
    current = await alembic_cli(database_url, "current", log_format=log_format)

    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stdout == ""
    applied = [m for m in logged_messages(upgrade.stderr, log_format) if "Running upgrade" in m]
    assert applied, upgrade.stderr
    assert applied[0].startswith("Running upgrade  -> ")
    # A command's result stays on standard output, alone: one line per head, in no fixed order
    # (with a service branch, the template's head is the "effective head" beside the service's).
    assert current.returncode == 0, current.stderr
    assert current_heads(current.stdout) == set(
        ScriptDirectory.from_config(alembic_config()).get_heads()
    )
    assert "Running upgrade" not in current.stderr


@pytest.mark.slow
async def test_an_offline_sql_script_on_stdout_carries_no_log_line(
    database_factory: DatabaseFactory,
) -> None:
    script = await alembic_cli(await database_factory(), "upgrade", "heads", "--sql")

    assert script.returncode == 0, script.stderr
    assert "CREATE TABLE users" in script.stdout
    assert "Running upgrade" in script.stderr
    assert not [line for line in script.stdout.splitlines() if line.startswith("{")]


def _upgrade_users_with_lookalike_addresses(connection: Connection) -> list[tuple[str, str | None]]:
    config = alembic_config(connection)
    command.upgrade(config, "0005")
    users = table(
        "users",
        column("id", Uuid()),
        column("email", String()),
        column("username", String()),
        column("hashed_password", String()),
        column("created_at", DateTime(timezone=True)),
    )
    registered = datetime(2026, 1, 1, tzinfo=UTC)
    addresses = {
        "alice": "alice@example.com",
        # Registered later, under the earlier release: a Cyrillic "a" (U+0430).
        "impostor": "\u0430lice@example.com",
        "bob": "bob@example.com",
    }
    connection.execute(
        insert(users),
        [
            {
                "id": uuid.uuid4(),
                "email": email,
                "username": username,
                "hashed_password": "x",
                "created_at": registered + timedelta(days=number),
            }
            for number, (username, email) in enumerate(addresses.items())
        ],
    )
    command.upgrade(config, "heads")
    rows = connection.execute(select(users.c.username, column("email_lookalike_key")))
    keys = sorted((username, key) for username, key in rows)
    command.downgrade(config, "0005")
    assert "email_lookalike_key" not in {
        c["name"] for c in inspect(connection).get_columns("users")
    }
    return keys


async def test_the_lookalike_key_migration_keys_existing_users_the_oldest_first(
    database_factory: DatabaseFactory,
) -> None:
    engine = create_engine(TestingSettings(DATABASE_URL=await database_factory()))
    try:
        async with engine.begin() as connection:
            keys = await connection.run_sync(_upgrade_users_with_lookalike_addresses)
    finally:
        await engine.dispose()

    assert keys == [
        ("alice", email_lookalike_key("alice@example.com")),
        ("bob", email_lookalike_key("bob@example.com")),
        ("impostor", None),
    ]


_users_0008 = table(
    "users",
    column("id", Uuid()),
    column("email", String()),
    column("username", String()),
    column("hashed_password", String()),
    column("identity_issuer", String()),
    column("identity_subject", String()),
)
_items = table("items", column("id", Uuid()), column("owner_id", Uuid()), column("title", String()))
_NOW_OPTIONAL = {"email", "username", "hashed_password"}


def _nullable_user_columns(connection: Connection) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in inspect(connection).get_columns("users")}


def _federated_identity_revision_both_ways(connection: Connection) -> dict[str, Any]:
    config = alembic_config(connection)
    command.upgrade(config, "0007")
    own = uuid.uuid4()
    connection.execute(
        insert(_users_0008).values(
            id=own, email="own@example.com", username="own", hashed_password="x"
        )
    )
    connection.execute(insert(_items).values(id=uuid.uuid4(), owner_id=own, title="kept"))
    command.upgrade(config, "0008")
    upgraded = _nullable_user_columns(connection)
    uniques = inspect(connection).get_unique_constraints("users")
    # A provider's user: no address, name or password; and a second own account, whose
    # (NULL, NULL) pair does not collide with the first's.
    provider = uuid.uuid4()
    connection.execute(
        insert(_users_0008).values(
            id=provider, identity_issuer="https://login.example.test/", identity_subject="s-1"
        )
    )
    connection.execute(
        insert(_users_0008).values(
            id=uuid.uuid4(), email="two@example.com", username="two", hashed_password="x"
        )
    )
    with pytest.raises(CommandError) as refused:
        command.downgrade(config, "0007")
    still_upgraded = _nullable_user_columns(connection)
    connection.execute(_users_0008.delete().where(_users_0008.c.id == provider))
    command.downgrade(config, "0007")
    return {
        "upgraded": upgraded,
        "uniques": {u["name"]: u["column_names"] for u in uniques},
        "refused": str(refused.value),
        "still upgraded": still_upgraded,
        "downgraded": _nullable_user_columns(connection),
        "titles": connection.scalars(select(_items.c.title)).all(),
    }


async def test_the_federated_identity_revision_keeps_every_user_it_can_both_ways(
    database_factory: DatabaseFactory,
) -> None:
    # Connected as alembic/env.py connects: SQLite's foreign keys off, as the revision's table
    # rebuild on SQLite needs (the app's engine turns them on).
    engine = create_async_engine(await database_factory(), poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            seen = await connection.run_sync(_federated_identity_revision_both_ways)
    finally:
        await engine.dispose()

    upgraded, downgraded = seen["upgraded"], seen["downgraded"]
    assert {name for name in _NOW_OPTIONAL if upgraded[name]} == _NOW_OPTIONAL
    assert {"identity_issuer", "identity_subject"} <= upgraded.keys()
    assert seen["uniques"]["uq_users_identity_issuer_identity_subject"] == [
        "identity_issuer",
        "identity_subject",
    ]
    # Refused while a user lacks what 0007 requires, and nothing changed.
    assert "1 user(s) have no e-mail address, username or password hash" in seen["refused"]
    assert seen["still upgraded"] == upgraded
    assert not {name for name in _NOW_OPTIONAL if downgraded[name]}
    assert not {"identity_issuer", "identity_subject"} & downgraded.keys()
    assert seen["titles"] == ["kept"]
