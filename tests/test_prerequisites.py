"""A missing PostgreSQL or Redis stops the run at once with one line, not a traceback per test."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import TEMPLATE_ROOT, free_port


def test_missing_servers_stop_the_run_in_one_line() -> None:
    closed = free_port()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "tests/test_generated_project.py",
        ],
        cwd=TEMPLATE_ROOT,
        env={
            **_environment(),
            "TEST_POSTGRES_URL": f"postgresql://postgres:hunter2@127.0.0.1:{closed}/postgres",
            "TEST_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = completed.stdout + completed.stderr
    reasons = [line for line in output.splitlines() if "did not answer" in line]

    assert completed.returncode == 4, output
    assert len(reasons) == 1, output
    assert (
        f"PostgreSQL did not answer at postgresql://postgres:***@127.0.0.1:{closed}" in reasons[0]
    )
    assert "set TEST_POSTGRES_URL" in reasons[0]
    assert f"Redis did not answer at redis://127.0.0.1:{closed}/0" in reasons[0]
    assert "set TEST_REDIS_URL" in reasons[0]
    assert "hunter2" not in output
    assert "Traceback" not in output
    assert "no tests ran" in output


def test_tests_that_need_no_server_run_without_them() -> None:
    closed = free_port()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/test_filters.py"],
        cwd=TEMPLATE_ROOT,
        env={
            **_environment(),
            "TEST_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{closed}/postgres",
            "TEST_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr


def _environment() -> dict[str, str]:
    # Not this run's own PYTEST_* variables (e.g. PYTEST_CURRENT_TEST).
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
