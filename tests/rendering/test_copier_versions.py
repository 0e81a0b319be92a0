"""`_min_copier_version` is honest: the oldest Copier it admits renders the same service."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import TEMPLATE_ROOT, UV, assert_same_tree, project_environment, render


@pytest.mark.deep
def test_the_minimum_copier_version_renders_what_the_current_one_does(tmp_path: Path) -> None:
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    minimum = config["_min_copier_version"]
    destination = tmp_path / "oldest"

    completed = subprocess.run(
        [
            str(Path(UV).parent / "uvx"),
            "--from",
            f"copier=={minimum}",
            "--with",
            "copier-template-extensions>=0.3.4,<0.4",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            "HEAD",
            str(TEMPLATE_ROOT),
            str(destination),
        ],
        env=project_environment(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert_same_tree(destination, render(tmp_path / "current", {}).path)
