"""`.template-set-aside/` holds the team's copies of files a `copier update` removed: kept for
reference, never code of the service. Nothing lints, type-checks or collects it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SET_ASIDE = ".template-set-aside"
NOT_CLEAN = "import os\n"  # F401: ruff refuses it anywhere it looks


def _ruff_check(root: Path, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own ruff on files this test wrote
        [sys.executable, "-m", "ruff", "check", str(path.relative_to(root))],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_ruff_skips_the_set_aside_copies_even_when_named(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes((PROJECT_ROOT / "pyproject.toml").read_bytes())
    copy = tmp_path / SET_ASIDE / "app" / "removed_module.py"
    copy.parent.mkdir(parents=True)
    copy.write_text(NOT_CLEAN)
    checked = tmp_path / "app" / "kept_module.py"
    checked.parent.mkdir()
    checked.write_text(NOT_CLEAN)

    # As pre-commit runs it: with the file names.
    skipped = _ruff_check(tmp_path, copy)
    linted = _ruff_check(tmp_path, checked)

    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert linted.returncode == 1, linted.stdout + linted.stderr


def test_pytest_mypy_and_pre_commit_never_read_the_set_aside_copies() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]
    hooks = (PROJECT_ROOT / ".pre-commit-config.yaml").read_text()

    assert config["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert not any(path.startswith(SET_ASIDE) for path in config["mypy"]["files"])
    assert "exclude: ^\\.template-set-aside/" in hooks
