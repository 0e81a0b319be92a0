"""Static security checks on generated services: bandit and pip-audit (hadolint and the compose
schema are in test_render.py and test_matrix.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import RenderedProject, render
from tests.scenarios import ALL_ON, SCENARIOS

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("name", ["default", "all-on"])
def test_bandit_finds_nothing_of_medium_or_high_severity(tmp_path: Path, name: str) -> None:
    project = render(tmp_path, SCENARIOS[name])
    result = subprocess.run(
        [
            str(BIN / "bandit"),
            "-r",
            "app",
            "scripts",
            "alembic",
            "-q",
            "--severity-level",
            "medium",
        ],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def _vulnerability_service_answers() -> bool:
    """pip-audit asks PyPI's per-release JSON API; some networks only mirror the package index."""
    try:
        response = httpx.get("https://pypi.org/pypi/pip/24.0/json", timeout=10)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


@pytest.mark.deep
def test_pip_audit_finds_no_known_vulnerability(tmp_path_factory: pytest.TempPathFactory) -> None:
    if not _vulnerability_service_answers():
        pytest.skip(
            "PyPI's vulnerability data (per-release JSON API) is not reachable from this machine; "
            "the generated CI runs the same audit"
        )
    project: RenderedProject = render(tmp_path_factory.mktemp("audit"), ALL_ON)
    project.sync()
    requirements = project.path / "requirements-audit.txt"
    project.uv(
        "export",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--format",
        "requirements-txt",
        "--output-file",
        str(requirements),
    ).check()

    result = subprocess.run(
        [str(BIN / "pip-audit"), "--strict", "--disable-pip", "--requirement", str(requirements)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
