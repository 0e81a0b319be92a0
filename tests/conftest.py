"""Shared fixtures: render the template, install a rendered project, find services.

Rendering uses the working tree at HEAD plus uncommitted changes (copier's dirty-template
mode), so the tests see exactly what a developer is about to commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from copier import _main as copier_main

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

# Every Python process the suite starts (uv, alembic, pytest, mypy, uvicorn: hundreds) writes its
# bytecode to one cache of this run, outside the clone; the machine may export
# PYTHONDONTWRITEBYTECODE, and then each of them compiled its imports from source again.
_PYCACHE_VARIABLE = "TEMPLATE_TESTS_PYCACHE"
_OWNS_PYCACHE = _PYCACHE_VARIABLE not in os.environ  # xdist workers inherit the controller's
if _OWNS_PYCACHE:
    os.environ[_PYCACHE_VARIABLE] = tempfile.mkdtemp(prefix="template-tests-pycache-")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ["PYTHONPYCACHEPREFIX"] = os.environ[_PYCACHE_VARIABLE]
sys.dont_write_bytecode = False
sys.pycache_prefix = os.environ[_PYCACHE_VARIABLE]


def _skip_copiers_per_file_git_mode_check() -> None:
    """Copier asks git for the destination's `core.fileMode` once per file it writes, a
    subprocess each (about a fifth of a render), so as to repair the executable bits of the
    index where that setting is false. `git init` sets it from the file system, so when it
    writes true for a new repository here, the check cannot act in any repository this suite
    renders into or updates (a new directory, or one made by `git init`): it is skipped."""
    probe = Path(tempfile.mkdtemp(prefix="git-file-mode-"))
    try:
        subprocess.run(["git", "init", "-q", str(probe)], check=True)
        setting = subprocess.run(
            ["git", "-C", str(probe), "config", "--type=bool", "--get", "core.fileMode"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    worker = copier_main.Worker
    if setting == "true" and hasattr(worker, "_sync_git_index_executable_bit"):
        worker._sync_git_index_executable_bit = lambda *_: None  # type: ignore[method-assign]


_skip_copiers_per_file_git_mode_check()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWNS_PYCACHE and not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ[_PYCACHE_VARIABLE], ignore_errors=True)


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


# Deep scenarios on the default Python: the extremes, the defaults, mail without the worker
# (all-on sends it through the worker), and an OpenID Connect provider's tokens with every other
# option. The other supported Pythons: OTHER_PYTHONS.
DEEP_SCENARIOS = [
    ("all-off", DEFAULT_PYTHON),
    ("default", DEFAULT_PYTHON),
    ("all-on", DEFAULT_PYTHON),
    ("email", DEFAULT_PYTHON),
    ("all-on-oidc", DEFAULT_PYTHON),
]
# The defaults on every other supported Python (tests/service/test_python_versions.py).
OTHER_PYTHONS = ["3.12", "3.13"]


def _installed(
    tmp_path_factory: pytest.TempPathFactory, name: str, version: str
) -> RenderedProject:
    """Scenario `name` rendered for Python `version`, with its own environment synced by uv."""
    if find_python(version) is None:
        if version == DEFAULT_PYTHON:
            pytest.fail(f"Python {version} (the template's default) is not installed")
        pytest.skip(f"Python {version} is not installed on this machine")
    answers = {**SCENARIOS[name], "python_version": version}
    project = render(tmp_path_factory.mktemp(f"{name}-py{version}"), answers)
    project.sync()
    return project


@pytest.fixture(
    scope="session", params=DEEP_SCENARIOS, ids=[f"{name}-py{v}" for name, v in DEEP_SCENARIOS]
)
def installed_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RenderedProject:
    name, version = request.param
    return _installed(tmp_path_factory, name, version)


@pytest.fixture(
    scope="session", params=OTHER_PYTHONS, ids=[f"default-py{v}" for v in OTHER_PYTHONS]
)
def other_python_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RenderedProject:
    """The default answers on another supported Python."""
    return _installed(tmp_path_factory, "default", request.param)


SERVICES_NEEDED = {
    "postgres_url": ("PostgreSQL", "TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL, postgres_server_url),
    "redis_url": ("Redis", "TEST_REDIS_URL", DEFAULT_REDIS_URL, redis_server_url),
}


def _missing_services(items: list[pytest.Item]) -> list[str]:
    missing = []
    for fixture, (name, variable, default, answering) in SERVICES_NEEDED.items():
        needing = sum(fixture in getattr(item, "fixturenames", ()) for item in items)
        if needing and answering() is None:
            url = _without_password(os.environ.get(variable, default))
            missing.append(f"{name} did not answer at {url} (set {variable} to use another)")
    return missing


def _stop_message(missing: list[str]) -> str:
    return (
        "; ".join(missing) + ". Start it (see README), or run only the tests that need no server: "
        "uv run pytest -m 'not deep'"
    )


# Tests that share an expensive fixture (a synced render, a started service, private servers) run
# on one xdist worker, so it is made once: the work unit of a test id, by these rules in order.
# Everything else is a unit of its own. (Decided from the id alone: pytest 9.2 no longer lets
# xdist_group marks reach the scheduler.)
_SHARED_WORK: list[tuple[re.Pattern[str], str]] = [
    # A deep scenario's render: tests/service/test_*.py::test_x[all-on-py3.11-env0-SECRET_KEY]
    (
        re.compile(
            r"^tests/service/test_(generated_project|python_versions)\.py::.*\[([a-z-]+-py3\.\d+)"
        ),
        r"scenario \2",
    ),
    # The matrix's lint shares one synced toolchain and its warm mypy cache.
    (
        re.compile(r"^tests/options/test_matrix\.py::test_lint_format_and_strict_types\["),
        "toolchain",
    ),
    # Module-scoped services and renders.
    (
        re.compile(r"^(tests/reliability/test_reliability\.py|tests/service/test_scale_out\.py)::"),
        r"\1",
    ),
    # The installed default render the documented commands run in.
    (re.compile(r"^tests/docs/test_commands_(migrations|operations)\.py::"), "docs project"),
]


def work_unit(nodeid: str) -> str:
    for pattern, unit in _SHARED_WORK:
        match = pattern.match(nodeid)
        if match:
            return match.expand(unit)
    return nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    # The hook below overrides how xdist splits work; if xdist stops calling it, every test would
    # become a unit of its own and shared renders would be made once per worker: say so loudly.
    if not callable(getattr(LoadScopeScheduling, "_split_scope", None)):
        raise pytest.UsageError(
            "this pytest-xdist no longer has LoadScopeScheduling._split_scope: "
            "update work_unit scheduling in tests/conftest.py"
        )

    class SharedWorkScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    # Units go out in collection order (long ones first, see below), not by their test counts.
    config.option.loadscopereorder = False
    return SharedWorkScheduling(config, log)  # type: ignore[arg-type]


def _run_order(item: pytest.Item) -> int:
    """The deep scenarios first, the other deep tests next, the cheap ones last: whichever
    worker finishes its long units early fills the time with short ones."""
    if "deep" not in item.keywords:
        return 2
    return 0 if work_unit(item.nodeid).startswith("scenario ") else 1


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Stop at once, in one line, when a selected test needs a server that does not answer;
    put the long tests first."""
    if config.option.collectonly:
        return
    missing = _missing_services(items)
    if missing:
        if hasattr(config, "workerinput"):
            # The controller prints it once and exits with a usage error (see below).
            config.workeroutput["missing_services"] = missing  # type: ignore[attr-defined]
            items[:] = []
            return
        pytest.exit(_stop_message(missing), returncode=pytest.ExitCode.USAGE_ERROR)
    items.sort(key=_run_order)


_MISSING_ON_WORKERS: list[str] = []


def pytest_testnodedown(node: object, error: object) -> None:
    """The controller gathers what its xdist workers found: missing servers, figures."""
    output = getattr(node, "workeroutput", {})
    for reason in output.get("missing_services", []):
        if reason not in _MISSING_ON_WORKERS:
            _MISSING_ON_WORKERS.append(reason)
    FIGURES.extend(tuple(figure) for figure in output.get("figures", []))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):
        session.config.workeroutput["figures"] = list(FIGURES)  # type: ignore[attr-defined]
    elif _MISSING_ON_WORKERS:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR


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
    if _MISSING_ON_WORKERS:
        terminalreporter.write_line(_stop_message(_MISSING_ON_WORKERS), red=True)
        return
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
