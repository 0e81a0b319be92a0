"""Running documented commands: in the template's clone, or in a generated project."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers import TEMPLATE_ROOT, UV, project_environment

TEMPLATE_PLACEHOLDER = "/absolute/path/or/git-url"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Docs Tests",
    "GIT_AUTHOR_EMAIL": "docs-tests@example.com",
    "GIT_COMMITTER_NAME": "Docs Tests",
    "GIT_COMMITTER_EMAIL": "docs-tests@example.com",
}


def with_uv_on_path(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PATH": f"{Path(UV).parent}{os.pathsep}{env.get('PATH', '')}"}


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def git_status_without_bytecode() -> set[str]:
    """The clone's status lines; __pycache__ of the hook is fine, a site/ or a render is not."""
    return {line for line in git_status().splitlines() if "__pycache__" not in line}


def in_repo(command: str, *extra: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """A command run in the template's clone, with `extra` arguments appended."""
    return subprocess.run(
        ["bash", "-c", command + "".join(f" {arg}" for arg in extra)],
        cwd=TEMPLATE_ROOT,
        env=with_uv_on_path({**os.environ, "NO_MKDOCS_2_WARNING": "1"}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def shell(
    project_dir: Path, command: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """A command run in a generated project (or any folder), output and errors together."""
    return subprocess.run(
        ["bash", "-c", command],
        cwd=project_dir,
        env=with_uv_on_path({**project_environment(), **(env or {})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (
        f"`{result.args[-1]}` exited {result.returncode}:\n{result.stdout[-4000:]}"
    )
    return result.stdout
