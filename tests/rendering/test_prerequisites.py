"""A missing PostgreSQL or Redis stops the run at once with one line, not a traceback per test."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import TEMPLATE_ROOT, free_port


def pytest_with_closed_servers(
    test_file: str, postgres_password: str = ""
) -> tuple[subprocess.CompletedProcess[str], int]:
    """This suite's pytest on one file, with both servers pointed at a port nobody listens on."""
    closed = free_port()
    credentials = f"postgres:{postgres_password}" if postgres_password else "postgres"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", test_file],
        cwd=TEMPLATE_ROOT,
        env={
            # Not this run's own PYTEST_* variables (e.g. PYTEST_CURRENT_TEST).
            **{key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")},
            "TEST_POSTGRES_URL": f"postgresql://{credentials}@127.0.0.1:{closed}/postgres",
            "TEST_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return completed, closed


def test_missing_servers_stop_the_run_in_one_line() -> None:
    completed, closed = pytest_with_closed_servers(
        "tests/service/test_generated_project.py", postgres_password="hunter2"
    )
    output = completed.stdout + completed.stderr
    reasons = [line for line in output.splitlines() if "did not answer" in line]

    assert completed.returncode == 4, output
    assert len(reasons) == 1, output
    masked = f"postgresql://postgres:***@127.0.0.1:{closed}/postgres"
    assert f"PostgreSQL did not answer at {masked}" in reasons[0]
    assert "set TEST_POSTGRES_URL" in reasons[0]
    assert f"Redis did not answer at redis://127.0.0.1:{closed}/0" in reasons[0]
    assert "set TEST_REDIS_URL" in reasons[0]
    assert "hunter2" not in output
    assert "Traceback" not in output
    assert "no tests ran" in output


def test_tests_that_need_no_server_run_without_them() -> None:
    completed, _ = pytest_with_closed_servers("tests/rendering/test_filters.py")

    assert completed.returncode == 0, completed.stdout + completed.stderr
