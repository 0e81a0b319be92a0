"""Migrations match the models and run both ways on the test database server."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.bootstrap.settings import TestingSettings
from app.db.base import Base
from app.db.session import create_engine
from tests.support import DatabaseFactory, alembic_config


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
