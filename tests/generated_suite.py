"""A generated project's own suite, run as its CI runs it, and what each run proved.

The whole suite (slow proofs included) runs on SQLite; on PostgreSQL only the tests that reach a
database (the generated conftest marks them `database`) run again: the others cannot tell the
two apart. The union of what passed on either must be everything collected, so a test skipped on
SQLite (connection loss, row locks) and not run on PostgreSQL fails the harness.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.helpers import RenderedProject
from tests.scenarios import options_on

# The generated suite's option that includes its slow proofs (the everyday run leaves them out).
EVERYTHING = "--slow"
# The marker the generated conftest puts on every test that reaches a database.
DATABASE_MARKER = "database"
# The deep scenarios (tests/conftest.py) whose suite runs its slow proofs too: the served
# protocol, the command-line tooling, migrations and login timing are the same code whatever the
# options, except the worker's, so the defaults (what most services are) and all-on (every
# option's code) run them; the other deep scenarios run the everyday suite on both databases.
SLOW_PROOFS_IN = frozenset({"default", "all-on"})


@dataclass(frozen=True)
class SuiteRun:
    passed: frozenset[str]
    skipped: frozenset[str]
    output: str

    @property
    def collected(self) -> frozenset[str]:
        return self.passed | self.skipped


def _outcomes(report: Path) -> tuple[frozenset[str], frozenset[str], list[str]]:
    passed: set[str] = set()
    skipped: set[str] = set()
    failed: list[str] = []
    for case in ElementTree.parse(report).iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(test_id)
        elif case.find("skipped") is not None:
            skipped.add(test_id)
        else:
            passed.add(test_id)
    return frozenset(passed), frozenset(skipped), failed


def run_generated_suite(
    project: RenderedProject, redis_url: str, *pytest_args: str, **env: str
) -> SuiteRun:
    """The project's `uv run pytest --slow` (plus `pytest_args`); fails on any failure."""
    if "redis" in options_on(project.answers):
        env["TEST_REDIS_URL"] = redis_url
    report = project.path.parent / f"suite-{uuid.uuid4().hex[:8]}.xml"
    suite = ["run", "pytest", "-q", "-rs", "-p", "no:cacheprovider", EVERYTHING]
    result = project.uv(*suite, f"--junit-xml={report}", *pytest_args, env=env).check()
    passed, skipped, failed = _outcomes(report)
    report.unlink()
    assert failed == [], result.output[-6000:]
    return SuiteRun(passed, skipped, result.output)


def run_on_postgresql(
    project: RenderedProject, postgres_url: str, redis_url: str, *pytest_args: str
) -> SuiteRun:
    """`run_generated_suite` on fresh PostgreSQL databases of this run's own, all dropped by the
    end of it."""
    # A prefix of this run's own, so other runs on the same server neither collide with its
    # databases nor pass for its leftovers.
    prefix = f"tpl_{uuid.uuid4().hex[:12]}_"
    run = run_generated_suite(
        project,
        redis_url,
        *pytest_args,
        TEST_DATABASE_URL=postgres_url,
        TEST_DATABASE_PREFIX=prefix,
    )
    with psycopg.connect(postgres_url) as connection:
        names = [row[0] for row in connection.execute("SELECT datname FROM pg_database")]
    assert [name for name in names if name.startswith(prefix)] == []
    return run


def assert_suite_passes_on_both_databases(
    project: RenderedProject,
    postgres_url: str,
    redis_url: str,
    minimum: int = 150,
    *,
    everyday: bool = False,
) -> tuple[SuiteRun, SuiteRun]:
    """Everything on SQLite, the database tests again on a fresh PostgreSQL database per run;
    returns both runs. `everyday`: without the slow proofs on either, for a service whose
    changes they do not concern (a deep scenario of the same answers runs them)."""
    on_sqlite = run_generated_suite(project, redis_url, *(("-m", "not slow") if everyday else ()))
    marker = f"{DATABASE_MARKER} and not slow" if everyday else DATABASE_MARKER
    on_postgresql = run_on_postgresql(project, postgres_url, redis_url, "-m", marker)

    assert len(on_sqlite.passed) >= minimum, on_sqlite.output[-3000:]
    # What skips on SQLite (connection loss, row locks) is PostgreSQL's: it must run there.
    assert on_postgresql.skipped == frozenset(), on_postgresql.output[-3000:]
    assert on_postgresql.passed, on_postgresql.output[-3000:]
    assert on_postgresql.collected <= on_sqlite.collected
    never_run = on_sqlite.collected - on_sqlite.passed - on_postgresql.passed
    assert never_run == frozenset(), sorted(never_run)
    return on_sqlite, on_postgresql
