"""The documented probe, metrics, backup and restore commands, run for real against a generated
project."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.docs.commands import documented
from tests.docs.shell import ok, shell, with_uv_on_path
from tests.helpers import TEMPLATE_ROOT, RenderedProject, free_port, wait_until_serving
from tests.services import running


@pytest.fixture
def private_databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two databases of our own on the shared server, dropped afterwards whatever happens."""
    names = [f"docs_backup_{uuid.uuid4().hex[:10]}", f"docs_restore_{uuid.uuid4().hex[:10]}"]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    base = postgres_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.deep
def test_backup_and_restore_commands(
    docs_project: RenderedProject, private_databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = private_databases
    ok(
        shell(
            docs_project.path,
            "uv run alembic upgrade heads",
            {**docs_project.env, "DATABASE_URL": source},
        )
    )
    with psycopg.connect(source, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO users (id, email, username, hashed_password) "
            "VALUES (gen_random_uuid(), 'backup@example.com', 'backup', 'x')"
        )

    ok(
        shell(
            tmp_path,
            documented('pg_dump --format=custom --no-owner --file=backup.dump "$PG_URL"'),
            {"PG_URL": source},
        )
    )
    listing = ok(shell(tmp_path, documented("pg_restore --list backup.dump")))
    restore = documented('pg_restore --clean --if-exists --no-owner --dbname="$PG_URL" backup.dump')
    ok(shell(tmp_path, restore, {"PG_URL": target}))  # into an empty database
    ok(shell(tmp_path, restore, {"PG_URL": target}))  # and over an existing one

    assert "TABLE public users" in listing
    with psycopg.connect(target) as connection:
        users = connection.execute("SELECT username FROM users").fetchall()
        version = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert users == [("backup",)]
    assert len(version) == 1


@pytest.mark.deep
def test_probe_and_metrics_commands(docs_project: RenderedProject, tmp_path: Path) -> None:
    port = free_port()
    token = uuid.uuid4().hex
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}",
        "METRICS_TOKEN": token,
        "LOG_LEVEL": "INFO",
        # The operations page shows production's JSON line; development's default is console.
        "LOG_FORMAT": "json",
        **with_uv_on_path({"PATH": os.environ["PATH"]}),
    }
    start = ["bash", "-c", documented("uv run scripts/start.sh")]
    local = f"http://127.0.0.1:{port}"
    with running(docs_project, start, env, port) as service:
        wait_until_serving(local, service.process, timeout=120)
        probes = (
            documented("curl -fsS http://127.0.0.1:8000/health"),
            documented("curl -fsS http://127.0.0.1:8000/health/detailed"),
            documented(
                'curl -fsS -H "Authorization: Bearer $METRICS_TOKEN" http://127.0.0.1:8000/metrics'
            ),
        )
        outputs = [
            shell(
                tmp_path,
                command.replace("http://127.0.0.1:8000", local),
                {"METRICS_TOKEN": token},
            )
            for command in probes
        ]
        unauthorised = httpx.get(f"{local}/metrics", timeout=10)
    log = service.output

    health, ready, metrics = (ok(result) for result in outputs)
    assert json.loads(health) == {"status": "ok"}
    assert json.loads(ready)["status"] == "healthy"
    assert "http_requests_total" in metrics
    assert unauthorised.status_code == 401
    # The log line shown on the operations page has the keys of a real access log line.
    operations = (TEMPLATE_ROOT / "docs" / "operations.md").read_text()
    shown = json.loads(operations.split("```json\n")[1].split("```")[0])
    access = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"app.access"' in line
    ]
    assert access, log[-3000:]
    assert list(access[0]) == list(shown)
    # One line per request: uvicorn writes none of its own.
    assert '"uvicorn.access"' not in log
