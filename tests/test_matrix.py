"""Cheap tier over the option matrix: every scenario renders clean, lints, type-checks, and
contains exactly the files and dependencies of the options it turns on."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.ci_checks import schema_errors, zizmor_findings
from tests.helpers import RenderedProject, project_environment, render
from tests.scenarios import ALL_ON, OPTION_CONTENT, SCENARIOS, options_on


@pytest.fixture(scope="session")
def toolchain(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    """The all-on render, synced: its environment has every dependency any scenario can have,
    so one warm mypy cache serves the whole matrix."""
    project = render(tmp_path_factory.mktemp("toolchain"), ALL_ON)
    project.sync()
    return project


@pytest.fixture(scope="session", params=sorted(SCENARIOS))
def scenario(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RenderedProject:
    name: str = request.param
    return render(tmp_path_factory.mktemp(f"scenario-{name}"), SCENARIOS[name])


def _dependency_names(project: RenderedProject) -> set[str]:
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text())
    return {
        re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()
        for requirement in pyproject["project"]["dependencies"]
    }


def test_renders_without_template_leftovers_and_compiles(scenario: RenderedProject) -> None:
    for path in scenario.files():
        assert path.suffix != ".jinja", path
        text = path.read_text(encoding="utf-8")
        # `${{ ... }}` is GitHub Actions' own expression syntax, not a Jinja leftover.
        assert not re.search(r"(?<!\$)\{\{|\{%", text), path
        if path.suffix == ".py":
            compile(text, str(path), "exec")


def test_each_option_brings_exactly_its_files_and_dependencies(scenario: RenderedProject) -> None:
    on = options_on(scenario.answers)
    files = {str(path.relative_to(scenario.path)) for path in scenario.files()}
    dependencies = _dependency_names(scenario)

    for option, (option_files, option_dependencies) in OPTION_CONTENT.items():
        if option in on:
            assert option_files <= files, (option, option_files - files)
            assert option_dependencies <= dependencies, (option, option_dependencies - dependencies)
        else:
            assert not option_files & files, (option, option_files & files)
            assert not option_dependencies & dependencies, (
                option,
                option_dependencies & dependencies,
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


def test_env_example_documents_every_setting(scenario: RenderedProject) -> None:
    config = (scenario.path / "app" / "core" / "config.py").read_text()
    fields = set(re.findall(r"^    ([A-Z][A-Z0-9_]+): ", config, re.MULTILINE)) - {"ENVIRONMENT"}
    documented = set(
        re.findall(r"^([A-Z][A-Z0-9_]+)=", (scenario.path / ".env.example").read_text(), re.M)
    )

    assert fields - documented == set()


def test_compose_file_matches_the_compose_schema(scenario: RenderedProject) -> None:
    check_schema(scenario.path / "docker-compose.yml", "vendor.compose-spec")


def test_compose_has_the_services_the_options_need(scenario: RenderedProject) -> None:
    import yaml

    compose: dict[str, Any] = yaml.safe_load((scenario.path / "docker-compose.yml").read_text())
    on = options_on(scenario.answers)
    services = set(compose["services"])

    assert services == {"api", "db"} | ({"redis"} & on) | ({"worker"} & on)
    if "redis" in on:
        assert compose["services"]["api"]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert compose["services"]["api"]["environment"]["REDIS_URL"].startswith("redis://")


def test_ci_configuration_is_valid(scenario: RenderedProject) -> None:
    on = options_on(scenario.answers)
    github = scenario.path / ".github"
    if "ci_github" in on:
        workflows = sorted((github / "workflows").glob("*.yml"))
        assert [path.name for path in workflows] == ["ci.yml", "template-update.yml"]
        for workflow in workflows:
            check_schema(workflow, "vendor.github-workflows")
            text = workflow.read_text()
            for action in re.findall(r"uses: (\S+)", text):
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
