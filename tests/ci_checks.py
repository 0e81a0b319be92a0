"""The checks every rendered CI and dependency-bot file must pass: schema and zizmor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def schema_errors(path: Path, schema: str) -> str | None:
    """check-jsonschema against one of its vendored schemas; None when the file is valid."""
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if result.returncode == 0 else result.stdout + result.stderr


def zizmor_findings(project: Path) -> str | None:
    """zizmor's offline audits over .github (workflows and dependabot.yml); None when clean."""
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", "--color", "never", ".github"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    return None if result.returncode == 0 else result.stdout + result.stderr
