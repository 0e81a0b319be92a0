"""What several docs modules share, made once per session: the built site and the renders.

Under pytest-xdist a session fixture is made once per worker; the site is built once per run all
the same: the first worker to need it builds it, the others wait for it and share it.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from tests.docs.commands import documented
from tests.docs.shell import git_status_without_bytecode, in_repo
from tests.helpers import RenderedProject, render
from tests.scenarios import ALL_ON


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's temporary folder: under xdist, the one holding every worker's own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strictly into a temporary folder: the only build of the test run."""
    run = _run_folder(tmp_path_factory)
    site = run / "docs-site"
    outcome = run / "docs-site.json"
    with (run / "docs-site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not outcome.exists():
            before = git_status_without_bytecode()
            result = in_repo(documented("uv run mkdocs build --strict"), "--site-dir", str(site))
            built = {
                "returncode": result.returncode,
                "output": result.stdout + result.stderr,
                "before": sorted(before),
                "after": sorted(git_status_without_bytecode()),
            }
            outcome.write_text(json.dumps(built))
        built = json.loads(outcome.read_text())

    assert built["returncode"] == 0, built["output"]
    # --ignored too: __pycache__ of the hook is fine, a site/ or a render left behind is not.
    assert built["after"] == built["before"]
    return site


@pytest.fixture(scope="session")
def all_on_render(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    return render(tmp_path_factory.mktemp("docs-all-on"), ALL_ON)


@pytest.fixture(scope="session")
def docs_project(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    """The default answers, rendered and installed once for every command of a generated project."""
    project = render(tmp_path_factory.mktemp("docs-default"), {})
    project.sync()
    return project
