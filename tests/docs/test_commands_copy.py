"""The documented Copier commands, run for real: scaffolding a service, then updating it."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.docs.commands import documented
from tests.docs.shell import GIT_IDENTITY, TEMPLATE_PLACEHOLDER, ok, shell, with_uv_on_path
from tests.helpers import TEMPLATE_ROOT, project_environment
from tests.scenarios import QUESTIONS
from tests.template_repo import TemplateRepo, copy_project, git

# Copier asks through prompt_toolkit, which turns bracketed paste on when a prompt starts
# waiting for input; every question line starts with Copier's microphone.
PROMPT_WAITING = b"\x1b[?2004h"
QUESTION_MARK = "🎤".encode()
# prompt_toolkit asks the terminal where the cursor is, and waits a while for an answer that a
# bare pseudo-terminal never gives; answering as a terminal does saves that wait at every prompt.
CURSOR_POSITION_REQUEST = b"\x1b[6n"
CURSOR_POSITION_REPORT = b"\x1b[1;1R"


def _drive_prompts(
    command: str, cwd: Path, env: dict[str, str], timeout: float = 300
) -> tuple[int, str, int]:
    """Run an interactive command on a pseudo-terminal, pressing Enter at every prompt.

    Enter is pressed as soon as a question is on screen and waiting, once per question.
    Returns (exit status, output, how many times Enter was pressed).
    """
    master, slave = pty.openpty()
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=with_uv_on_path({**project_environment(), **env, "TERM": "xterm"}),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    enters = 0
    prompts_seen = 0  # where the search for the next waiting prompt starts
    requests_seen = 0  # likewise for cursor position requests
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            while (found := output.find(CURSOR_POSITION_REQUEST, requests_seen)) >= 0:
                os.write(master, CURSOR_POSITION_REPORT)
                requests_seen = found + len(CURSOR_POSITION_REQUEST)
            while (
                found := output.find(PROMPT_WAITING, prompts_seen)
            ) >= 0 and QUESTION_MARK in output[found:]:
                # A question on screen, waiting: take its default.
                os.write(master, b"\r")
                enters += 1
                prompts_seen = found + len(PROMPT_WAITING)
        else:
            process.kill()
    finally:
        process.wait(timeout=60)
        os.close(master)
    return process.returncode, output.decode(errors="replace"), enters


def _prompted_questions(output: str) -> int:
    """How many questions Copier asked: each prompt line starts with the microphone."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    return len({line.strip() for line in plain.splitlines() if line.strip().startswith("🎤")})


@pytest.mark.deep
def test_copy_commands(tmp_path: Path) -> None:
    template = str(TEMPLATE_ROOT)
    questions = list(QUESTIONS)

    scripted = documented(
        "uvx --with copier-template-extensions copier copy --trust --defaults"
        ' --data project_name="Payments API" --data python_version=3.13'
        " /absolute/path/or/git-url payments-api"
    )
    ok(shell(tmp_path, scripted.replace(TEMPLATE_PLACEHOLDER, template)))
    answers = yaml.safe_load((tmp_path / "payments-api" / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "Payments API"
    assert answers["project_slug"] == "payments-api"
    assert answers["python_version"] == "3.13"
    commit = documented(
        'git init && git add -A && git commit -m "Generate from fastapi-production-template"'
    )
    ok(shell(tmp_path / "payments-api", commit, GIT_IDENTITY))
    assert ok(shell(tmp_path / "payments-api", "git status --porcelain")) == ""

    interactive = documented(
        "uvx --with copier-template-extensions copier copy --trust /absolute/path/or/git-url"
        " my-service"
    )
    status, output, _ = _drive_prompts(
        interactive.replace(TEMPLATE_PLACEHOLDER, template), tmp_path, {}
    )
    assert status == 0, output[-3000:]
    assert _prompted_questions(output) == len(questions), output[-3000:]
    answers = yaml.safe_load((tmp_path / "my-service" / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "fastapi-service"
    assert (tmp_path / "my-service" / "app" / "main.py").is_file()


@pytest.mark.deep
def test_update_commands(tmp_path: Path) -> None:
    template = TemplateRepo(tmp_path / "template-repo")
    template.release("v1.0.0")
    project = copy_project(template, tmp_path / "service", {}, "v1.0.0")
    template.edit("template/README.md.jinja", lambda text: text + "\nReleased as v1.1.0.\n")
    template.release("v1.1.0")
    env = GIT_IDENTITY

    check = shell(
        project, documented("uvx --with copier-template-extensions copier check-update"), env
    )
    assert "1.1.0" in check.stdout, check.stdout[-3000:]

    ok(
        shell(
            project,
            documented("uvx --with copier-template-extensions copier update --trust --defaults"),
            env,
        )
    )
    assert "Released as v1.1.0." in (project / "README.md").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.1.0"
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "update to v1.1.0")

    ok(
        shell(
            project,
            documented(
                "uvx --with copier-template-extensions copier update --trust --defaults"
                " --data cache=true --data redis=true"
            ),
            env,
        )
    )
    assert (project / "app" / "integrations" / "cache.py").is_file()
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "cache on")

    ask = documented(
        "uvx --with copier-template-extensions copier update --trust --defaults --ask rate_limit"
    )
    status, output, _ = _drive_prompts(ask, project, env)
    assert status == 0, output[-3000:]
    assert _prompted_questions(output) == 1, output[-3000:]
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["rate_limit"] == "memory"
    assert answers["cache"] is True
