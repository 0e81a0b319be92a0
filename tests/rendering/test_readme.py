"""The README's two commands: they lead the README, CI runs the second, the first works."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.helpers import TEMPLATE_ROOT, UV, free_port, project_environment, wait_until_serving

README = TEMPLATE_ROOT / "README.md"


def readme_commands() -> list[str]:
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.DOTALL)
    assert first_block is not None
    # The title and one paragraph saying what this is come before it, nothing else.
    title, *paragraphs = text[: first_block.start()].strip().split("\n\n")
    assert title.startswith("# ")
    assert len(paragraphs) == 1
    assert "Copier" in paragraphs[0]
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_exactly_two_commands() -> None:
    commands = readme_commands()

    assert len(commands) == 2
    assert "copier copy" in commands[0]
    assert "scripts/start.sh" in commands[0]
    assert commands[1].endswith("uv run pytest")


def test_ci_runs_the_readmes_test_command() -> None:
    script = (TEMPLATE_ROOT / ".ci" / "run").read_text().splitlines()

    assert readme_commands()[1] in script


@pytest.mark.deep
def test_demo_command_scaffolds_and_serves_on_sqlite(tmp_path: Path) -> None:
    command = readme_commands()[0].removeprefix("pip install uv && ")
    destination = tmp_path / "demo-service"
    command = command.replace("../demo-service", str(destination))
    port = free_port()
    env = {
        **project_environment(),
        "PATH": f"{Path(UV).parent}{os.pathsep}{os.environ['PATH']}",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=TEMPLATE_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, timeout=300)
        readiness = httpx.get(f"{base_url}/health/detailed", timeout=10)
        docs = httpx.get(f"{base_url}/docs", timeout=10)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=60)

    assert readiness.status_code == 200, output[-3000:]
    assert docs.status_code == 200
    assert (destination / "dev.db").is_file()
    assert (destination / ".copier-answers.yml").is_file()


def test_every_changelog_release_says_how_to_upgrade() -> None:
    changelog = (TEMPLATE_ROOT / "CHANGELOG.md").read_text()
    sections = re.split(r"^## ", changelog, flags=re.MULTILINE)[1:]

    assert sections, "CHANGELOG.md has no release sections"
    assert sections[0].startswith("Unreleased")
    for section in sections:
        title = section.splitlines()[0]
        assert title == "Unreleased" or re.match(r"v\d+\.\d+\.\d+\b", title), title
        assert "\n### Upgrading\n" in section, f"{title}: no Upgrading part"
