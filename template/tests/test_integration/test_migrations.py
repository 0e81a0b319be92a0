"""Migrations match the models and run every way on the test database server.

Every revision is applied one at a time (each upgrade on its own), then everything is undone down
to base, then applied again: a downgrade that leaves something behind (a PostgreSQL enum type, an
index) makes the second upgrade fail. Each branch, the template's and the service's, has one head.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from app.bootstrap.settings import TestingSettings
from app.db.base import Base
from app.db.session import create_engine
from tests.support import DatabaseFactory, alembic_config, load_script


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
