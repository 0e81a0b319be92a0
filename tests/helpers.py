"""Rendering, running and probing generated projects."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import secrets
import shutil
import socket
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import httpx
import psycopg
import pytest
import redis
import yaml
from uv import find_uv_bin

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PYTHON = "3.11"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
ANSWERS_FILE = ".copier-answers.yml"
# A production SECRET_KEY made for this run: any key written in the template's files is
# published, and generated services refuse it.
PRODUCTION_SECRET_KEY = secrets.token_urlsafe(48)
# What the service answers for when the tests reach it on loopback.
PRODUCTION_ALLOWED_HOSTS = "127.0.0.1,localhost"
# The bearer token production's /metrics requires, made for this run like the key.
PRODUCTION_METRICS_TOKEN = secrets.token_urlsafe(24)
# An absolute path: a `uv` found on PATH may be a pyenv shim that obeys the rendered
# project's .python-version and fails there.
UV = find_uv_bin()


@dataclass
class CommandResult:
    args: list[str]
    returncode: int
    output: str

    def check(self) -> CommandResult:
        assert self.returncode == 0, (
            f"`{' '.join(self.args)}` exited {self.returncode}:\n{self.output[-6000:]}"
        )
        return self


@dataclass
class RenderedProject:
    path: Path
    answers: dict[str, Any]
    python: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    # What Copier printed after rendering it (`_message_after_copy` in copier.yml).
    message_after_copy: str = ""

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 600
    ) -> CommandResult:
        completed = subprocess.run(
            list(args),
            cwd=self.path,
            env={**project_environment(), **self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        return CommandResult(list(args), completed.returncode, completed.stdout)

    def uv(self, *args: str, env: dict[str, str] | None = None) -> CommandResult:
        return self.run(UV, *args, env=env)

    def sync(self) -> None:
        version = self.answers.get("python_version", DEFAULT_PYTHON)
        interpreter = find_python(version)
        assert interpreter is not None, f"no Python {version}"
        self.env["UV_PYTHON"] = interpreter
        self.uv("sync").check()

    def files(self) -> list[Path]:
        return project_files(self.path)


def project_environment() -> dict[str, str]:
    """The environment a generated project's commands run in: ours, minus our venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "UV_PYTHON"}}
    env.pop("ENVIRONMENT", None)
    env["UV_NO_PROGRESS"] = "1"
    return env


# The first line of copier.yml's `_message_after_copy`.
MESSAGE_AFTER_COPY_START = "Your service "


def render(
    destination: Path, answers: dict[str, Any], template: Path = TEMPLATE_ROOT
) -> RenderedProject:
    """`template` (this checkout by default; another commit's worktree for the benchmarks'
    before figures) rendered with `answers` into `destination`/project."""
    project_dir = destination / "project"
    # Not quiet, so Copier prints the after-copy message (to sys.stderr, like its file list).
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        copier.run_copy(
            str(template),
            str(project_dir),
            data=answers,
            defaults=True,
            unsafe=True,
            quiet=False,
            vcs_ref="HEAD",
        )
    output = printed.getvalue()
    recorded = yaml.safe_load((project_dir / ".copier-answers.yml").read_text())
    # The given answers with the defaults Copier filled in, as the answers file records them.
    answers = {
        **answers,
        **{key: value for key, value in recorded.items() if not key.startswith("_")},
    }
    return RenderedProject(
        path=project_dir,
        answers=answers,
        message_after_copy=output[output.rindex(MESSAGE_AFTER_COPY_START) :],
    )


def find_python(version: str) -> str | None:
    """An interpreter of exactly this minor version, without downloading one."""
    candidates = [
        shutil.which(f"python{version}"),
        *sorted(
            glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}"))
        ),
        *sorted(glob.glob(f"/usr/bin/python{version}")),
        *sorted(glob.glob(f"/usr/local/bin/python{version}")),
    ]
    for candidate in candidates:
        if candidate and _reports_version(candidate, version):
            return candidate
    return None


def _reports_version(interpreter: str, version: str) -> bool:
    try:
        completed = subprocess.run(
            [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return completed.returncode == 0 and completed.stdout.strip() == version


def postgres_server_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return None
    return url


def redis_server_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        return None
    finally:
        client.close()
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(base_url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the service did not answer on {base_url} within {timeout}s")


# What a project's tools make and git ignores: never part of what the template rendered, and the
# environment alone is hundreds of megabytes.
NOT_RENDERED = frozenset(
    {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)


def project_files(root: Path) -> list[Path]:
    """Every file of a project, without descending into NOT_RENDERED folders."""
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name not in NOT_RENDERED]
        found.extend(Path(directory, name) for name in names)
    return sorted(found)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in project_files(root)
        if path.name != ANSWERS_FILE
    }


def assert_same_tree(actual: Path, expected: Path) -> None:
    got, want = tree(actual), tree(expected)
    assert sorted(got) == sorted(want), set(got) ^ set(want)
    different = [name for name in want if got[name] != want[name]]
    assert different == [], different


def extract_commit(commit: str, destination: Path, what: str) -> None:
    """This repository's tree at `commit` (`what` it is, for the failure) into `destination`."""
    archived = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        check=False,
    )
    if archived.returncode:
        pytest.fail(
            f"commit {commit} ({what}) is not in this clone: the update tests need the "
            f"repository's history (a full clone, not --depth 1): {archived.stderr.decode()}"
        )
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.11.4
    with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as archive:
        archive.extractall(destination, **safe)
