"""The databases a run creates on TEST_DATABASE_URL's server are named TEST_DATABASE_PREFIX
(default `test_`) and random hex; a prefix PostgreSQL would not take as it is stops the run."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.features import RUN_ID
from tests.support import (
    DATABASE_PREFIX_VARIABLE,
    MAX_DATABASE_PREFIX_LENGTH,
    PROJECT_ROOT,
    database_prefix,
    new_database_name,
)

on_postgresql = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="names databases on the PostgreSQL server of TEST_DATABASE_URL",
)


@pytest.mark.parametrize("unset", [None, ""])
def test_the_default_prefix_is_test(unset: str | None) -> None:
    assert database_prefix(unset) == "test_"


@pytest.mark.parametrize("prefix", ["ci_", "_scratch_", "a", "x" * MAX_DATABASE_PREFIX_LENGTH])
def test_a_plain_identifier_prefix_is_taken_as_it_is(prefix: str) -> None:
    assert database_prefix(prefix) == prefix


@pytest.mark.parametrize(
    "prefix",
    [
        "Test_",  # PostgreSQL would fold it to lower case unless quoted
        "1test_",
        "test-",
        "test db",
        'test"; DROP DATABASE postgres; --',
        "café_",
        "x" * (MAX_DATABASE_PREFIX_LENGTH + 1),  # the name would be cut at 63 bytes
    ],
)
def test_any_other_prefix_is_refused_naming_the_variable_and_the_rule(prefix: str) -> None:
    with pytest.raises(ValueError, match="is not a usable database name prefix") as raised:
        database_prefix(prefix)

    message = str(raised.value)
    assert message.startswith(f"{DATABASE_PREFIX_VARIABLE}={prefix!r} ")
    assert f"1 to {MAX_DATABASE_PREFIX_LENGTH} lowercase letters, digits and underscores" in message


def test_a_name_is_the_prefix_and_random_hex_within_postgresql_limit() -> None:
    longest = "x" * MAX_DATABASE_PREFIX_LENGTH
    first, second = new_database_name("ci_"), new_database_name("ci_")

    assert re.fullmatch(r"ci_[0-9a-f]{16}", first)
    assert first != second
    assert len(new_database_name(longest)) == 63


@pytest.mark.slow
def test_a_bad_prefix_stops_the_run_before_any_test() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT_ROOT,
        env={**os.environ, DATABASE_PREFIX_VARIABLE: "Bad-Prefix"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "TEST_DATABASE_PREFIX='Bad-Prefix' is not a usable database name prefix" in run.stderr


@pytest.mark.database
@on_postgresql
async def test_this_run_database_is_named_with_the_prefix(migrated_engine: AsyncEngine) -> None:
    async with migrated_engine.connect() as connection:
        name = await connection.scalar(text("SELECT current_database()"))

    assert isinstance(name, str)
    assert name.startswith(database_prefix(os.environ.get(DATABASE_PREFIX_VARIABLE)))


@pytest.mark.slow
@pytest.mark.database
@on_postgresql
async def test_a_run_with_its_own_prefix_creates_and_drops_databases_so_named(
    migrated_engine: AsyncEngine,
) -> None:
    prefix = f"prefix_check_{RUN_ID}_"
    this_module = "tests/test_database_prefix.py::test_this_run_database_is_named_with_the_prefix"

    run = await anyio.run_process(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", this_module],
        cwd=PROJECT_ROOT,
        env={**os.environ, DATABASE_PREFIX_VARIABLE: prefix},
        check=False,
    )
    async with migrated_engine.connect() as connection:
        names = (await connection.scalars(text("SELECT datname FROM pg_database"))).all()

    assert run.returncode == 0, run.stdout.decode()[-3000:]
    assert b"1 passed" in run.stdout
    assert not [name for name in names if name.startswith(prefix)]  # dropped at the end
