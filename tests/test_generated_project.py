"""Deep tier: install a render, run its own checks and suite, migrate, serve and probe it.

Runs for every supported Python version installed on this machine (the default one is
required). PostgreSQL must answer: its absence fails these tests, it never skips them.
"""

from __future__ import annotations

import re
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.helpers import (
    UV,
    RenderedProject,
    free_port,
    project_environment,
    wait_until_serving,
)

pytestmark = pytest.mark.deep

STRONG_SECRET = "k8Jq2Vx7Lm4Np9Rt3Wy6Zb1Cd5Fg0Hs8"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new database on the test server, as an async SQLAlchemy URL; dropped afterwards."""
    name = f"tpl_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base, _, _ = server_url.rpartition("/")
        yield f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _passed(output: str) -> int:
    summary = re.search(r"(\d+) passed", output)
    assert summary is not None, output[-3000:]
    assert not re.search(r"\d+ (failed|error)", output), output[-6000:]
    return int(summary.group(1))


def test_lint_format_and_strict_types(installed_project: RenderedProject) -> None:
    installed_project.uv("run", "ruff", "check", ".").check()
    installed_project.uv("run", "ruff", "format", "--check", ".").check()
    installed_project.uv("run", "mypy").check()


def test_generated_suite_passes_on_sqlite(installed_project: RenderedProject) -> None:
    result = installed_project.uv("run", "pytest", "-q", "-p", "no:cacheprovider").check()

    assert _passed(result.output) >= 80


def test_generated_suite_passes_on_postgresql(
    installed_project: RenderedProject, postgres_url: str
) -> None:
    result = installed_project.uv(
        "run",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        env={"TEST_DATABASE_URL": postgres_url},
    ).check()

    assert _passed(result.output) >= 80
    with psycopg.connect(postgres_url) as connection:
        leftovers = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%'"
        ).fetchall()
    assert leftovers == []


def _alembic_round_trip(project: RenderedProject, database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    project.uv("run", "alembic", "upgrade", "head", env=env).check()
    project.uv("run", "alembic", "check", env=env).check()
    project.uv("run", "alembic", "downgrade", "base", env=env).check()
    project.uv("run", "scripts/migrate.sh", env=env).check()


def test_alembic_round_trip_on_sqlite(installed_project: RenderedProject, tmp_path: Path) -> None:
    _alembic_round_trip(installed_project, f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}")


def test_alembic_round_trip_on_postgresql(
    installed_project: RenderedProject, postgres_url: str
) -> None:
    with postgres_database(postgres_url) as database_url:
        _alembic_round_trip(installed_project, database_url)


@contextmanager
def running_service(project: RenderedProject, env: dict[str, str]) -> Iterator[str]:
    """scripts/start.sh as a user runs it; yields the base URL and stops it with SIGTERM."""
    port = free_port()
    process = subprocess.Popen(
        [UV, "run", "scripts/start.sh"],
        cwd=project.path,
        env={**project_environment(), **project.env, **env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        assert '"Application shutdown complete."' in output or "shutdown" in output, output


def _probe(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.get("/health").json() == {"status": "ok"}
        readiness = client.get("/health/detailed")
        assert readiness.status_code == 200, readiness.text
        assert readiness.json()["checks"]["database"]["status"] == "up"

        user = {"email": "probe@example.com", "username": "probe", "password": "SecurePass123"}
        registered = client.post("/api/v1/auth/register", json=user)
        assert registered.status_code == 201, registered.text
        assert client.post("/api/v1/auth/register", json=user).status_code == 409

        login = client.post(
            "/api/v1/auth/login", json={"username": "probe", "password": "SecurePass123"}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]

        me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["id"] == registered.json()["id"]
        assert client.get("/api/v1/users/me").status_code == 401
        assert me.headers["x-request-id"]


def test_service_serves_in_development_on_embedded_sqlite(
    installed_project: RenderedProject, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"}
    with running_service(installed_project, env) as base_url:
        _probe(base_url)
        assert httpx.get(f"{base_url}/docs").status_code == 200


def test_service_serves_in_production_on_postgresql(
    installed_project: RenderedProject, postgres_url: str
) -> None:
    with postgres_database(postgres_url) as database_url:
        env = {
            "ENVIRONMENT": "production",
            "SECRET_KEY": STRONG_SECRET,
            "DATABASE_URL": database_url,
            "ALLOWED_ORIGINS": "https://app.example.com",
            "WEB_CONCURRENCY": "2",
        }
        with running_service(installed_project, env) as base_url:
            _probe(base_url)
            assert httpx.get(f"{base_url}/docs").status_code == 404
            assert httpx.get(f"{base_url}/openapi.json").status_code == 404
            hsts = httpx.get(f"{base_url}/health").headers["strict-transport-security"]
            assert hsts.startswith("max-age=")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"ALLOWED_ORIGINS": ""}, "ALLOWED_ORIGINS"),
    ],
)
def test_production_refuses_to_start_with_a_one_line_error(
    installed_project: RenderedProject, env: dict[str, str], variable: str
) -> None:
    complete = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": STRONG_SECRET,
        "DATABASE_URL": "postgresql://app@127.0.0.1:1/app",
        "ALLOWED_ORIGINS": "https://app.example.com",
    }
    result = installed_project.uv("run", "scripts/start.sh", env={**complete, **env})

    assert result.returncode != 0
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith("configuration error: invalid production configuration:")
    assert variable in last_line
    assert "Traceback" not in result.output
    assert STRONG_SECRET not in result.output
