"""Shared fixtures: render the template, install a rendered project, find services.

Rendering uses the working tree at HEAD plus uncommitted changes (copier's dirty-template
mode), so the tests see exactly what a developer is about to commit.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.figures import FIGURES
from tests.helpers import (
    DEFAULT_POSTGRES_URL,
    DEFAULT_PYTHON,
    DEFAULT_REDIS_URL,
    RenderedProject,
    find_python,
    postgres_server_url,
    redis_server_url,
    render,
)
from tests.scenarios import SCENARIOS

# A personal copier settings file must not change what the tests render.
_EMPTY_SETTINGS = Path(tempfile.mkdtemp(prefix="copier-settings-")) / "settings.yml"
_EMPTY_SETTINGS.write_text("{}\n")
os.environ["COPIER_SETTINGS_PATH"] = str(_EMPTY_SETTINGS)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    """The default answers, rendered once for every cheap check."""
    return render(tmp_path_factory.mktemp("default"), {})


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The machine's PostgreSQL; its absence fails the deep tier instead of skipping it."""
    url = postgres_server_url()
    if url is None:
        pytest.fail(
            "PostgreSQL is not answering at TEST_POSTGRES_URL "
            f"({os.environ.get('TEST_POSTGRES_URL', DEFAULT_POSTGRES_URL)})"
            "; start it (see README) — the deep tier never skips it"
        )
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis; its absence fails the deep tier instead of skipping it."""
    url = redis_server_url()
    if url is None:
        pytest.fail(
            f"Redis is not answering at TEST_REDIS_URL ({DEFAULT_REDIS_URL} by default); "
            "start it (see README) — the deep tier never skips it"
        )
    return url


# Deep scenarios: every supported Python on the defaults, the extremes on the default Python.
DEEP_SCENARIOS = [
    ("all-off", DEFAULT_PYTHON),
    ("default", "3.11"),
    ("default", "3.12"),
    ("default", "3.13"),
    ("all-on", DEFAULT_PYTHON),
    # Mail without the worker (all-on sends it through the worker).
    ("email", DEFAULT_PYTHON),
]


@pytest.fixture(
    scope="session", params=DEEP_SCENARIOS, ids=[f"{name}-py{v}" for name, v in DEEP_SCENARIOS]
)
def installed_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RenderedProject:
    """A scenario rendered for one Python version, with its own environment synced by uv."""
    name, version = request.param
    if find_python(version) is None:
        if version == DEFAULT_PYTHON:
            pytest.fail(f"Python {version} (the template's default) is not installed")
        pytest.skip(f"Python {version} is not installed on this machine")
    answers = {**SCENARIOS[name], "python_version": version}
    project = render(tmp_path_factory.mktemp(f"{name}-py{version}"), answers)
    project.sync()
    return project


SERVICES_NEEDED = {
    "postgres_url": ("PostgreSQL", "TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL, postgres_server_url),
    "redis_url": ("Redis", "TEST_REDIS_URL", DEFAULT_REDIS_URL, redis_server_url),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Stop at once, in one line, when a selected test needs a server that does not answer."""
    if config.option.collectonly:
        return
    missing = []
    for fixture, (name, variable, default, answering) in SERVICES_NEEDED.items():
        needing = sum(fixture in getattr(item, "fixturenames", ()) for item in items)
        if needing and answering() is None:
            url = _without_password(os.environ.get(variable, default))
            missing.append(f"{name} did not answer at {url} (set {variable} to use another)")
    if missing:
        pytest.exit(
            "; ".join(missing)
            + ". Start it (see README), or run only the tests that need no server: "
            "uv run pytest -m 'not deep'",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


_TIER_SECONDS: defaultdict[str, float] = defaultdict(float)
_TIER_TESTS: defaultdict[str, int] = defaultdict(int)
_FILE_SECONDS: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = "deep" if "deep" in report.keywords else "cheap"
    _TIER_SECONDS[tier] += report.duration
    _TIER_TESTS[tier] += report.when == "call"
    _FILE_SECONDS[report.nodeid.split("::", 1)[0]] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("figures")
        for name, value in FIGURES:
            terminalreporter.write_line(f"{name}: {value}")
    if not _TIER_SECONDS:
        return
    # Set-up and tear-down included: rendering and syncing projects is most of the deep tier.
    terminalreporter.section("where the time went")
    for tier in ("cheap", "deep"):
        if tier in _TIER_SECONDS:
            terminalreporter.write_line(
                f"{tier} tier: {_TIER_SECONDS[tier]:.1f}s over {_TIER_TESTS[tier]} tests"
            )
    for path, seconds in sorted(_FILE_SECONDS.items(), key=lambda item: -item[1])[:10]:
        terminalreporter.write_line(f"  {seconds:7.1f}s  {path}")
