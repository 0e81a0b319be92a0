"""Deep tier: the defaults on every other supported Python: lint and strict types with that
Python's mypy target, the generated suite on SQLite and its database tests on PostgreSQL.

Migrations, starts and probes are Python-independent here and run on the default Python
(tests/service/test_generated_project.py).
"""

from __future__ import annotations

import pytest

from tests.generated_suite import assert_suite_passes_on_both_databases
from tests.helpers import RenderedProject

pytestmark = pytest.mark.deep


def test_lint_format_and_strict_types(other_python_project: RenderedProject) -> None:
    other_python_project.uv("run", "ruff", "check", ".").check()
    other_python_project.uv("run", "ruff", "format", "--check", ".").check()
    other_python_project.uv("run", "mypy").check()


def test_generated_suite_passes_on_sqlite_and_its_database_tests_on_postgresql(
    other_python_project: RenderedProject, postgres_url: str, redis_url: str
) -> None:
    assert_suite_passes_on_both_databases(other_python_project, postgres_url, redis_url)
