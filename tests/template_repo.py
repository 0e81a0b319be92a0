"""Private git copies of the template that tests change and tag, and projects copied and
updated from them."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier

from tests.helpers import TEMPLATE_ROOT, project_environment, tree

CONFLICT_MARKERS = re.compile(r"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={
            **project_environment(),
            "GIT_AUTHOR_NAME": "Template Tests",
            "GIT_AUTHOR_EMAIL": "tests@example.com",
            "GIT_COMMITTER_NAME": "Template Tests",
            "GIT_COMMITTER_EMAIL": "tests@example.com",
        },
    )
    return completed.stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "--allow-empty", "-m", message)


class TemplateRepo:
    """A git copy of the template (working tree as it is now) that tests can change and tag."""

    def __init__(self, path: Path) -> None:
        self.path = path
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=TEMPLATE_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\0")
        for name in filter(None, listed):
            source = TEMPLATE_ROOT / name
            if source.is_file():
                target = path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        git(path, "init", "-q", "-b", "main")
        commit_all(path, "template")

    def release(self, version: str) -> None:
        commit_all(self.path, f"release {version}")
        git(self.path, "tag", version)

    def edit(self, relative: str, change: Callable[[str], str]) -> None:
        target = self.path / relative
        target.write_text(change(target.read_text()))

    def rename_everywhere(self, old: str, new: str) -> None:
        for path in (self.path / "template").rglob("*"):
            if path.is_file() and old in (text := path.read_text()):
                path.write_text(text.replace(old, new))


def copy_project(
    template: TemplateRepo, destination: Path, answers: dict[str, Any], ref: str
) -> Path:
    copier.run_copy(
        str(template.path),
        str(destination),
        data=answers,
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=ref,
    )
    git(destination, "init", "-q", "-b", "main")
    commit_all(destination, "generate")
    return destination


def update_project(project: Path, ref: str, data: dict[str, Any] | None = None) -> None:
    copier.run_update(
        str(project),
        data=data or {},
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
        vcs_ref=ref,
    )


def assert_merged_cleanly(project: Path, step: str) -> None:
    """No path left unmerged in git and no conflict marker in any file."""
    unmerged = git(project, "diff", "--name-only", "--diff-filter=U").split()
    marked = [
        name
        for name, content in tree(project).items()
        if CONFLICT_MARKERS.search(content.decode(errors="replace"))
    ]
    assert (unmerged, marked) == ([], []), step
