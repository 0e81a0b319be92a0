"""scripts/new-migration.sh writes the service's revisions on the service's branch, and a
template release that adds a revision applies beside them with no merge.

Runs in a scratch copy of the project, as a developer would run the script from its root.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.support import PROJECT_ROOT, alembic_config, load_script

# Each test runs the project's scripts in subprocesses (on a SQLite file of the scratch copy,
# whatever TEST_DATABASE_URL says).
pytestmark = pytest.mark.slow

WIDGET_MODEL = '''"""A table the service adds."""

import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class Widget(Base):
    __tablename__ = "widgets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
'''

# What a template release ships: a revision on the template's branch, after its last one.
TEMPLATE_RELEASE_REVISION = '''"""template release: a column on users no service would name so"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ffff_template_release"
down_revision: str | Sequence[str] | None = "{parent}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("zz_template_release_probe", sa.String(50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("zz_template_release_probe")
'''


def project_copy(root: Path) -> Path:
    for name in ("alembic.ini", "pyproject.toml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    for name in ("alembic", "app", "scripts"):
        shutil.copytree(
            PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    for revision in (root / "alembic" / "versions").glob("*.py"):
        revision.unlink()  # a fresh service: no revisions of its own yet
    return root


def run(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'dev.db'}",
    }
    return subprocess.run(  # noqa: S603 - the project's own scripts, in a scratch copy
        list(command), cwd=root, env=environment, capture_output=True, text=True, check=False
    )


def ok(root: Path, *command: str) -> str:
    result = run(root, *command)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def applied(root: Path) -> set[str]:
    """The revisions alembic_version records (Alembic leaves out those a recorded one implies)."""
    with sqlite3.connect(root / "dev.db") as connection:
        return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}


def service_revisions(root: Path) -> list[Path]:
    return sorted((root / "alembic" / "versions").glob("*.py"))


def template_head() -> str:
    branches = load_script("new_migration")
    head = branches.single_head(
        ScriptDirectory.from_config(alembic_config()), branches.TEMPLATE_VERSIONS
    )
    assert isinstance(head, str)
    return head


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_copy(tmp_path)


def test_first_revision_starts_the_service_branch_after_the_template(project: Path) -> None:
    (project / "app" / "models" / "widget.py").write_text(WIDGET_MODEL)

    printed = ok(project, "sh", "scripts/new-migration.sh", "add widgets")

    [written] = service_revisions(project)
    source = written.read_text()
    # The hooks fix and format quietly: no lint findings about the file they are fixing.
    assert not re.search(r"\b(W291|E501|I001|F401)\b|Found \d+ error", printed), printed
    assert "add_widgets" in written.name
    assert "down_revision: str | Sequence[str] | None = None" in source
    assert 'branch_labels: str | Sequence[str] | None = ("service",)' in source
    assert f'depends_on: str | Sequence[str] | None = "{template_head()}"' in source
    assert 'op.create_table(\n        "widgets"' in source
    # Written lint-clean by the post-write hooks.
    ok(project, "python", "-m", "ruff", "check", "--no-cache", str(written))
    ok(project, "python", "-m", "ruff", "format", "--check", "--no-cache", str(written))


def test_next_revision_follows_the_service_head(project: Path) -> None:
    (project / "app" / "models" / "widget.py").write_text(WIDGET_MODEL)
    ok(project, "sh", "scripts/new-migration.sh", "add widgets")
    [first] = service_revisions(project)
    first_id = first.name.split("_", 1)[0]

    ok(project, "sh", "scripts/new-migration.sh", "--empty", "backfill widgets")

    [second] = [path for path in service_revisions(project) if path != first]
    source = second.read_text()
    assert f'down_revision: str | Sequence[str] | None = "{first_id}"' in source
    assert "branch_labels: str | Sequence[str] | None = None" in source
    # The template's head is already behind the first revision: no second dependency.
    assert "depends_on: str | Sequence[str] | None = None" in source
    # The script migrated the database before writing: the first revision is applied.
    assert applied(project) == {first_id}


def test_a_template_release_with_a_revision_applies_beside_the_services(project: Path) -> None:
    (project / "app" / "models" / "widget.py").write_text(WIDGET_MODEL)
    ok(project, "sh", "scripts/new-migration.sh", "add widgets")
    [service_revision] = service_revisions(project)
    (project / "alembic" / "template_versions" / "ffff_template_release.py").write_text(
        TEMPLATE_RELEASE_REVISION.format(parent=template_head())
    )

    ok(project, "sh", "scripts/migrate.sh")

    service_id = service_revision.name.split("_", 1)[0]
    heads = ScriptDirectory.from_config(Config(str(project / "alembic.ini"))).get_heads()
    assert sorted(heads) == sorted(["ffff_template_release", service_id])
    assert applied(project) == {"ffff_template_release", service_id}
    # The next service revision depends on the release it was written after.
    ok(project, "sh", "scripts/new-migration.sh", "--empty", "after the release")
    [latest] = [path for path in service_revisions(project) if path != service_revision]
    assert 'depends_on: str | Sequence[str] | None = "ffff_template_release"' in latest.read_text()


def test_a_forked_service_branch_is_refused_with_the_merge_to_run(project: Path) -> None:
    for name in ("aaaa", "bbbb"):
        (project / "alembic" / "versions" / f"{name}_fork.py").write_text(
            f'revision = "{name}"\ndown_revision = None\n'
            f'branch_labels = None\ndepends_on = "{template_head()}"\n\n\n'
            "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
        )

    result = run(project, "sh", "scripts/new-migration.sh", "--empty", "one more")

    assert result.returncode == 1
    assert "alembic/versions has 2 heads (aaaa, bbbb)" in result.stderr
    assert "alembic merge" in result.stderr
    assert "Traceback" not in result.stderr
