"""The documented commands for developing the template, run for real in the clone: syncing, the
test tiers, the benchmark and CI."""

from __future__ import annotations

import os

from tests.docs.commands import documented
from tests.docs.shell import in_repo
from tests.helpers import TEMPLATE_ROOT


def test_template_development_commands() -> None:
    # `uv sync` installs exactly the lock: prove the lock is current and the sync would succeed.
    sync = in_repo(documented("uv sync"), "--locked", "--dry-run")
    assert sync.returncode == 0, sync.stderr
    # The tiers' marker expressions select disjoint, non-empty sets (collected, not run here:
    # this module is part of them).
    collected = {}
    for command in (documented('uv run pytest -m "not deep"'), documented("uv run pytest -m deep")):
        result = in_repo(command, "--collect-only", "-q", "-p", "no:cacheprovider")
        assert result.returncode == 0, result.stdout[-3000:]
        collected[command] = {line for line in result.stdout.splitlines() if "::" in line}
    cheap, deep = collected.values()
    assert cheap
    assert deep
    assert cheap.isdisjoint(deep)
    assert "tests/docs/test_registry.py::test_every_documented_command_is_exercised" in cheap


def test_benchmark_commands() -> None:
    # The full run takes minutes and the machine's cores: its arguments are checked, and the
    # quick run is what CI runs after the tests (a smoke run, so the harness cannot rot).
    full = in_repo(documented("uv run python bench/run.py"), "--help")
    assert full.returncode == 0, full.stderr
    assert "--quick" in full.stdout
    before = documented("uv run python bench/run.py --before main")
    assert before.split()[-2] in full.stdout
    # The ref it names resolves in a clone of main.
    ref = in_repo("git rev-parse --verify --quiet", f"{before.split()[-1]}^{{commit}}")
    assert ref.returncode == 0, ref.stderr
    assert documented("uv run python bench/run.py --rounds 5").split()[-2] in full.stdout
    refused = in_repo(documented("uv run python bench/run.py"), "--rounds 0")
    assert refused.returncode != 0
    assert "--rounds 0: at least 1" in refused.stderr
    ci = (TEMPLATE_ROOT / ".ci" / "run").read_text()
    assert documented("uv run python bench/run.py --quick") in ci


def test_ci_script() -> None:
    script = TEMPLATE_ROOT / ".ci" / "run"
    command = documented("bash .ci/run")
    # Running CI from inside its own test run would recurse: parse it and check what it runs.
    parsed = in_repo(command.replace("bash ", "bash -n ", 1))

    assert parsed.returncode == 0, parsed.stderr
    assert os.access(script, os.X_OK)
    text = script.read_text()
    # The site needs no step of its own: the test run below builds it, strictly, once
    # (tests/docs/conftest.py::built_site).
    assert "pip install uv && uv run pytest" in text
