"""Deep tier: the defaults on every other supported Python, where the interpreter matters: lint
and strict types with that Python's mypy target, the everyday generated suite (the app, Argon2's
and the drivers' bindings), the served protocol's slow proofs (real sockets on that Python's
asyncio), and the migrations on PostgreSQL through asyncpg built for it.

The rest of the slow tier (the command-line tooling run as subprocesses: migrate.sh, Alembic) and
every database test again on PostgreSQL prove the same code on any Python; they, and the starts
and probes, run on the default Python (tests/service/test_generated_project.py).
"""

from __future__ import annotations

import pytest

from tests.generated_suite import run_generated_suite, run_on_postgresql
from tests.helpers import RenderedProject

pytestmark = pytest.mark.deep

# The slow proofs whose outcome could depend on the interpreter or its compiled bindings.
INTERPRETER_BOUND = (
    "tests/test_bootstrap/test_http_limits.py",
    "tests/test_end_to_end/test_migrations.py",
)


def test_lint_format_and_strict_types(other_python_project: RenderedProject) -> None:
    other_python_project.uv("run", "ruff", "check", ".").check()
    other_python_project.uv("run", "ruff", "format", "--check", ".").check()
    other_python_project.uv("run", "mypy").check()


def test_everyday_suite_passes_and_the_interpreter_bound_proofs_on_postgresql(
    other_python_project: RenderedProject, postgres_url: str, redis_url: str
) -> None:
    everyday = run_generated_suite(other_python_project, redis_url, "-m", "not slow")
    bound = run_on_postgresql(other_python_project, postgres_url, redis_url, *INTERPRETER_BOUND)

    assert len(everyday.passed) >= 150, everyday.output[-3000:]
    assert bound.passed, bound.output[-3000:]
    assert {test.split("::")[0] for test in bound.passed} >= {
        path.removesuffix(".py").replace("/", ".") for path in INTERPRETER_BOUND
    }, sorted(bound.passed)
