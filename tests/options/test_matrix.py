"""Cheap tier over the option matrix: every scenario renders clean, lints, type-checks, and
contains exactly the core's files and dependencies plus those its features declare
(extensions/features.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from extensions.core import CORE_DEPENDENCIES
from extensions.features import FEATURES
from tests.ci_checks import schema_errors, zizmor_findings
from tests.helpers import RenderedProject, project_environment, render
from tests.rendered_settings import production_required, settings_fields
from tests.scenarios import (
    ALL_ON,
    OPTION_CONTENT,
    SCENARIOS,
    distribution,
    expected_files,
    options_on,
)


@pytest.fixture(scope="session")
def toolchain(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    """The all-on render, synced: its environment has every dependency any scenario can have,
    so one warm mypy cache serves the whole matrix."""
    project = render(tmp_path_factory.mktemp("toolchain"), ALL_ON)
    project.sync()
    # What all-on cannot hold at once with its choices (auth=oidc's provider libraries) joins
    # its environment, so every scenario is type-checked against the packages it would sync.
    on = options_on(ALL_ON)
    missing = sorted(
        {
            requirement
            for feature in FEATURES
            if feature.name not in on
            for requirement in (*feature.dependencies, *feature.dev_dependencies)
        }
    )
    if missing:
        python = str(project.path / ".venv" / "bin" / "python")
        project.uv("pip", "install", "--quiet", "--python", python, *missing).check()
    return project


@pytest.fixture(scope="session", params=sorted(SCENARIOS))
def scenario(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RenderedProject:
    name: str = request.param
    return render(tmp_path_factory.mktemp(f"scenario-{name}"), SCENARIOS[name])


def _dependency_names(project: RenderedProject) -> set[str]:
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text())
    return {distribution(requirement) for requirement in pyproject["project"]["dependencies"]}


def test_renders_without_template_leftovers_and_compiles(scenario: RenderedProject) -> None:
    for path in scenario.files():
        assert path.suffix != ".jinja", path
        text = path.read_text(encoding="utf-8")
        # `${{ ... }}` is GitHub Actions' own expression syntax, not a Jinja leftover.
        assert not re.search(r"(?<!\$)\{\{|\{%", text), path
        if path.suffix == ".py":
            compile(text, str(path), "exec")


def test_render_has_exactly_the_core_and_its_features_files(scenario: RenderedProject) -> None:
    files = {str(path.relative_to(scenario.path)) for path in scenario.files()}
    expected = expected_files(scenario.answers)

    assert sorted(files - expected) == [], "rendered, but neither core nor a declared file"
    assert sorted(expected - files) == [], "declared by an enabled feature, but not rendered"


def test_each_option_brings_exactly_its_dependencies(scenario: RenderedProject) -> None:
    on = options_on(scenario.answers)
    dependencies = _dependency_names(scenario)

    assert dependencies == {distribution(r) for r in CORE_DEPENDENCIES}.union(
        *(OPTION_CONTENT[option][1] for option in on)
    )


def test_lint_format_and_strict_types(
    scenario: RenderedProject, toolchain: RenderedProject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    venv_bin = toolchain.path / ".venv" / "bin"
    env = {
        **project_environment(),
        "MYPY_CACHE_DIR": str(toolchain.path / ".mypy_cache"),
        "VIRTUAL_ENV": str(toolchain.path / ".venv"),
    }
    for command in (
        [venv_bin / "ruff", "check", "."],
        [venv_bin / "ruff", "format", "--check", "."],
        [venv_bin / "mypy"],
    ):
        result = subprocess.run(
            [str(part) for part in command],
            cwd=scenario.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{command[0]}:\n{result.stdout}{result.stderr}"


def test_keeps_its_layers(scenario: RenderedProject) -> None:
    """No module of app/ imports a layer above its own, and no import cycle (the render's own
    scripts/check_layers.py, which its suite and pre-commit run too)."""
    result = subprocess.run(
        [sys.executable, "scripts/check_layers.py"],
        cwd=scenario.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_the_layer_check_names_an_upward_import(
    default_project: RenderedProject, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(default_project.path, project, ignore=shutil.ignore_patterns(".venv"))
    config = project / "app" / "core" / "config.py"
    config.write_text(config.read_text() + "\nfrom app.api import deps  # noqa: E402\n")

    result = subprocess.run(
        [sys.executable, "scripts/check_layers.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "app/core/config.py" in result.stdout
    assert "core imports app.api.deps, a layer above it (api)" in result.stdout
    assert "import cycle" in result.stdout  # deps imports the config back


def test_env_example_documents_every_setting(scenario: RenderedProject) -> None:
    fields = set(settings_fields(scenario.path, scenario.answers))
    declared = {
        setting.name
        for feature in FEATURES
        if feature.name in options_on(scenario.answers)
        for setting in feature.settings
    }
    documented = set(
        re.findall(r"^([A-Z][A-Z0-9_]+)=", (scenario.path / ".env.example").read_text(), re.M)
    )

    assert fields - documented == set()
    # The table's settings are exactly the enabled integrations' fields, and they are documented.
    assert declared <= fields
    assert declared <= documented


def test_compose_file_matches_the_compose_schema(scenario: RenderedProject) -> None:
    check_schema(scenario.path / "docker-compose.yml", "vendor.compose-spec")


def test_compose_has_the_services_the_options_need(scenario: RenderedProject) -> None:
    import yaml

    compose: dict[str, Any] = yaml.safe_load((scenario.path / "docker-compose.yml").read_text())
    on = options_on(scenario.answers)
    services = set(compose["services"])
    added = {
        name
        for feature in FEATURES
        if feature.name in on
        for name in (*feature.compose_services, *feature.compose_processes)
    }

    assert services == {"api", "db"} | added
    # Processes of the service's own image (the worker) run with production and the API's
    # values of the settings they read, nothing else of the API's, and start after it.
    api = compose["services"]["api"]
    read_by_worker = {s.name for f in FEATURES if f.name in on for s in f.worker_settings}
    for feature in FEATURES:
        for name in feature.compose_processes if feature.name in on else ():
            process = compose["services"][name]
            assert process["image"] == api["image"], name
            shared = {k: v for k, v in api["environment"].items() if k in read_by_worker}
            assert process["environment"] == {"ENVIRONMENT": "production", **shared}, name
            assert not {"SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN"} & set(process["environment"])
            assert process["depends_on"] == {**api["depends_on"], "api": api["depends_on"]["db"]}
    if "redis" in on:
        assert compose["services"]["api"]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert compose["services"]["api"]["environment"]["REDIS_URL"].startswith("redis://")


def test_compose_is_hardened_limited_and_ships_no_value_of_the_deployers(
    scenario: RenderedProject,
) -> None:
    """Compose runs the service in production: what production requires is the deployer's
    (`${NAME:?...}`, never a default that would pass), Redis wants a password, every container
    has limits, and the service's own containers run read-only without capabilities."""
    import yaml

    compose: dict[str, Any] = yaml.safe_load((scenario.path / "docker-compose.yml").read_text())
    services = compose["services"]
    api_environment = services["api"]["environment"]
    required = production_required(scenario.path, scenario.answers)

    assert {"DATABASE_URL", "ALLOWED_ORIGINS", "ALLOWED_HOSTS"} <= set(api_environment)
    assert ("SECRET_KEY" in api_environment) == (scenario.answers.get("auth") != "oidc")
    for name in required & set(api_environment):
        value = api_environment[name]
        assert re.search(r"\$\{\w+:\?", value), (name, value)
        assert not re.search(r"\$\{\w+:-", value), (name, value)
    for name, value in api_environment.items():
        default = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
        if default and name != "FORWARDED_ALLOW_IPS":  # no proxy in front: its own loopback
            assert not re.search(r"localhost|127\.0\.0\.1|http://", default[1]), name
    own_image = {
        name
        for name, service in services.items()
        if "image" in service and (service["image"] == services["api"]["image"])
    }
    assert "api" in own_image
    for name, service in services.items():
        limits = service["deploy"]["resources"]["limits"]
        assert set(limits) == {"cpus", "memory"}, name
        if name in own_image:
            assert service["read_only"] is True, name
            assert service["tmpfs"] == ["/tmp"], name
            assert service["cap_drop"] == ["ALL"], name
            assert service["security_opt"] == ["no-new-privileges:true"], name
    if "redis" in options_on(scenario.answers):
        password = "${REDIS_PASSWORD:?"
        redis = services["redis"]
        assert redis["command"][-2] == "--requirepass"
        assert redis["command"][-1].startswith(password)
        assert redis["environment"]["REDISCLI_AUTH"] == redis["command"][-1]
        assert api_environment["REDIS_URL"].startswith(f"redis://:{password}")
    assert "mailpit" not in services


def test_ci_configuration_is_valid(scenario: RenderedProject) -> None:
    on = options_on(scenario.answers)
    github = scenario.path / ".github"
    if "ci_github" in on:
        workflows = sorted((github / "workflows").glob("*.yml"))
        assert [path.name for path in workflows] == ["ci.yml", "template-update.yml"]
        for workflow in workflows:
            check_schema(workflow, "vendor.github-workflows")
            text = workflow.read_text()
            # `uses:` as a key only (`statuses: write` ends in the same letters).
            for action in re.findall(r"^\s*(?:-\s+)?uses: (\S+)", text, re.MULTILINE):
                assert action.startswith("./.github/workflows/") or re.fullmatch(
                    r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action
                ), f"not pinned: {action}"
            assert text.count("actions/checkout@") == text.count("persist-credentials: false")
        check_schema(github / "dependabot.yml", "vendor.dependabot")
        findings = zizmor_findings(scenario.path)
        assert findings is None, findings
        ci = (github / "workflows" / "ci.yml").read_text()
        assert ("TEST_REDIS_URL" in ci) == ("redis" in on)
        assert "pip-audit" in ci
        assert "uv run zizmor --offline .github" in ci
        dev = tomllib.loads((scenario.path / "pyproject.toml").read_text())["dependency-groups"]
        assert any(requirement.startswith("zizmor") for requirement in dev["dev"])
    if "ci_gitlab" in on:
        gitlab = scenario.path / ".gitlab-ci.yml"
        check_schema(gitlab, "vendor.gitlab-ci")
        check_schema(scenario.path / "renovate.json", "vendor.renovate")
        text = gitlab.read_text()
        assert ("TEST_REDIS_URL" in text) == ("redis" in on)
        assert "pip-audit" in text
        assert "scripts/template_update.py pull-request gitlab" in text


def check_schema(path: Path, schema: str) -> None:
    errors = schema_errors(path, schema)
    assert errors is None, errors


# copier.yml's `_message_after_copy`: the line above the variables it lists, one per line.
AFTER_COPY_REQUIRED = "Production refuses to start until each of these is set"


def test_the_after_copy_message_names_every_variable_production_requires(
    scenario: RenderedProject,
) -> None:
    """The message lists what the render's own settings classes refuse to start without (read
    here from its source, not from the feature table the message is rendered from); the deep
    tier holds the same list to a real production start (test_generated_project.py)."""
    listed_part = scenario.message_after_copy.split(AFTER_COPY_REQUIRED, 1)[1]
    listed = re.findall(r"^  - ([A-Z][A-Z0-9_]*)$", listed_part, re.MULTILINE)

    assert len(listed) == len(set(listed))
    assert set(listed) == production_required(scenario.path, scenario.answers)


# A page of documentation named by path (`docs/operations.md`), and a Markdown link to a local
# page (`[operations](operations.md#client-addresses)`).
DOCS_PATH = re.compile(r"(?<![\w.-])((?:\.\./)*docs/[\w./-]*?[\w-]\.md)\b")
MARKDOWN_LINK = re.compile(r"\]\((?![a-z][\w+.-]*:|#)([^)\s#]+\.md)(?:#[^)\s]*)?\)")


def test_every_page_of_documentation_a_file_points_to_is_in_the_render(
    scenario: RenderedProject,
) -> None:
    """No docs site is published: a page a file names must ship with the service."""
    missing = []
    for path in scenario.files():
        text = path.read_text(encoding="utf-8", errors="replace")
        named = DOCS_PATH.findall(text)
        if path.suffix == ".md":
            named += MARKDOWN_LINK.findall(text)
        missing += [
            f"{path.relative_to(scenario.path)} -> {page}"
            for page in named
            if not (scenario.path / page).is_file() and not (path.parent / page).is_file()
        ]

    assert missing == []
