"""New revisions, merges included, are written lint-clean and type-clean as they stand: the
revision template's annotations fit what Alembic fills in, and ruff runs as a post-write hook
(alembic.ini)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.support import PROJECT_ROOT, load_script

# Runs ruff and mypy in subprocesses on the revisions it writes (no database).
pytestmark = pytest.mark.slow


def project_copy(root: Path) -> Config:
    """The project's migration set-up in a scratch directory, so new revisions land there."""
    for name in ("alembic.ini", "pyproject.toml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    shutil.copytree(
        PROJECT_ROOT / "alembic", root / "alembic", ignore=shutil.ignore_patterns("__pycache__")
    )
    config = Config(str(root / "alembic.ini"))
    config.attributes["configure_logger"] = False
    return config


def check(root: Path, *tool: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own tools on files this test wrote
        [sys.executable, "-m", *tool],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_branches_and_their_merge_are_written_clean(tmp_path: Path) -> None:
    config = project_copy(tmp_path)
    branches = load_script("new_migration")
    # The template's head: the service may have a head of its own beside it.
    template_versions = tmp_path / "alembic" / "template_versions"
    base = branches.single_head(ScriptDirectory.from_config(config), template_versions)
    assert base is not None
    existing = set((tmp_path / "alembic").glob("*versions/*.py"))

    for message in ("add orders", "add invoices"):
        command.revision(config, message, head=base, splice=True)
    merge = command.merge(config, "heads", message="merge orders and invoices")

    script = ScriptDirectory.from_config(config)
    assert script.get_heads() == [merge.revision]  # type: ignore[union-attr]
    revisions = set((tmp_path / "alembic").glob("*versions/*.py")) - existing
    written = sorted(str(path) for path in revisions)
    assert len(written) == 3

    lint = check(tmp_path, "ruff", "check", "--no-cache", *written)
    assert lint.returncode == 0, lint.stdout
    formatted = check(tmp_path, "ruff", "format", "--check", "--no-cache", *written)
    assert formatted.returncode == 0, formatted.stdout
    typed = check(
        tmp_path, "mypy", "--strict", "--no-incremental", "--follow-imports=silent", *written
    )
    assert typed.returncode == 0, typed.stdout
