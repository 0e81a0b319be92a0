"""The documented migration, secret and preflight commands, run for real in a generated project."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.commands import documented
from tests.docs.shell import ok, shell
from tests.helpers import RenderedProject


@pytest.mark.deep
def test_migration_commands(docs_project: RenderedProject, tmp_path: Path) -> None:
    env = {**docs_project.env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"}
    path = docs_project.path
    versions = path / "alembic" / "versions"
    before = set(versions.glob("*.py"))

    ok(shell(path, documented("uv run alembic upgrade heads"), env))
    assert "(head)" in ok(shell(path, documented("uv run alembic current"), env))
    ok(shell(path, documented("uv run alembic check"), env))
    try:
        # On the service's branch, in alembic/versions/, starting it.
        ok(shell(path, documented('uv run scripts/new-migration.sh "add orders"'), env))
        created = set(versions.glob("*.py")) - before
        assert len(created) == 1
        written = created.pop()
        assert "add_orders" in written.name
        assert 'branch_labels: str | Sequence[str] | None = ("service",)' in written.read_text()
    finally:
        for extra in set(versions.glob("*.py")) - before:
            extra.unlink()
    ok(shell(path, documented("uv run alembic downgrade -1"), env))
    assert "(head)" not in ok(shell(path, "uv run alembic current", env))
    ok(shell(path, documented("uv run scripts/migrate.sh"), env))
    assert "(head)" in ok(shell(path, "uv run alembic current", env))
    ok(shell(path, documented("uv lock"), env))
    assert (path / "uv.lock").is_file()


@pytest.mark.deep
def test_secret_and_preflight_commands(docs_project: RenderedProject) -> None:
    secret = ok(
        shell(
            docs_project.path,
            documented("python -c 'import secrets; print(secrets.token_urlsafe(48))'"),
        )
    ).strip()
    assert len(secret) >= 32
    preflight = documented('ENVIRONMENT=production uv run python -c "import app.main"')
    complete = {
        **docs_project.env,
        "SECRET_KEY": secret,
        "DATABASE_URL": "postgresql://app:app@127.0.0.1:5432/app",
        "ALLOWED_ORIGINS": "https://app.example.com",
        "ALLOWED_HOSTS": "api.example.com",
        "METRICS_TOKEN": secret,
    }

    ok(shell(docs_project.path, preflight, complete))
    # Without SECRET_KEY (empty is unset) production refuses to start, naming it.
    refused = shell(docs_project.path, preflight, {**complete, "SECRET_KEY": ""})
    assert refused.returncode == 1
    assert (
        refused.stdout.strip()
        .splitlines()[-1]
        .startswith("configuration error: invalid production configuration: SECRET_KEY")
    )
