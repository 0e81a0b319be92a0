"""Generated services as a user runs them: private databases and Redis prefixes, the start
script under a supervisor, and what its logs must show."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import redis

from tests.helpers import (
    PRODUCTION_ALLOWED_HOSTS,
    PRODUCTION_METRICS_TOKEN,
    PRODUCTION_SECRET_KEY,
    UV,
    RenderedProject,
    free_port,
    project_environment,
    wait_until_serving,
)


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


@contextmanager
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A key prefix for one service run; every key under it is deleted afterwards."""
    prefix = f"tpl-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{prefix}*", count=500):
            client.delete(key)
        client.close()


def production_environment(
    database_url: str, redis_url: str, key_prefix: str, **overrides: str
) -> dict[str, str]:
    """What a production start needs, on a private database and Redis key prefix."""
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "DATABASE_URL": database_url,
        "ALLOWED_ORIGINS": "https://app.example.com",
        "ALLOWED_HOSTS": PRODUCTION_ALLOWED_HOSTS,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": key_prefix,
        "METRICS_TOKEN": PRODUCTION_METRICS_TOKEN,
        "EMAIL_LINK_BASE_URL": "https://app.example.com",
        # Production names its relay; nothing listens there, so mails are logged as not sent.
        "SMTP_HOST": "127.0.0.1",
        "EMAIL_FROM": "noreply@app.example.com",
        # With auth=oidc: a provider no test reaches (its host does not resolve).
        "OIDC_ISSUER_URL": "https://login.example.test/realms/service",
        "OIDC_AUDIENCE": "service-api",
        **overrides,
    }


@dataclass
class Running:
    process: subprocess.Popen[str]
    output: str = ""  # everything it printed, once it has stopped


@contextmanager
def running(
    project: RenderedProject, command: list[str], env: dict[str, str], port: int | None = None
) -> Iterator[Running]:
    process = subprocess.Popen(
        command,
        cwd=project.path,
        env={**project_environment(), **project.env, **env, "PORT": str(port or 0)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = Running(process)
    try:
        yield run
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            run.output += process.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            run.output += process.communicate()[0]


@contextmanager
def running_service(
    project: RenderedProject, env: dict[str, str], log_format: str = "json"
) -> Iterator[str]:
    """scripts/start.sh as a user runs it; yields the base URL and stops it with SIGTERM.
    `log_format`: the lines it must have written (LOG_FORMAT; development's is console)."""
    port = free_port()
    with running(project, [UV, "run", "scripts/start.sh"], env, port) as service:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(base_url, service.process)
        yield base_url
    # SIGTERM is a graceful stop: the lifespan's shutdown ran in every worker.
    assert "Application shutdown complete." in service.output, service.output[-3000:]
    assert "Traceback" not in service.output, service.output[-6000:]
    assert_requests_logged_once(service.output, log_format)


def access_lines(output: str) -> list[dict[str, Any]]:
    """The service's access lines (JSON, logger app.access) in what it printed."""
    return [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"logger": "app.access"' in line
    ]


# `2026-11-25 15:04:05.123 INFO     app.access  GET /health 200  request_id=… method=GET …`
CONSOLE_ACCESS_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO     app\.access  [A-Z]+ /\S* \d{3}  "
    r"request_id=\S+ method=",
    re.MULTILINE,
)


def assert_requests_logged_once(output: str, log_format: str = "json") -> None:
    """Requests were logged by the app in `log_format`, each once: uvicorn writes no access
    line of its own."""
    if log_format == "json":
        assert access_lines(output), output[-3000:]
    else:
        assert CONSOLE_ACCESS_LINE.search(output), output[-3000:]
        assert not access_lines(output), output[-3000:]
    assert "uvicorn.access" not in output, output[-3000:]
