"""The docs site builds, its generated pages are complete, and every command it shows works.

Every shell command in a ```bash / ```console / ```shell block of README.md or docs/*.md must have
an entry in COMMANDS saying how it is exercised:

- ``Run(test)``: a test of this module runs it for real; the test must call
  ``documented(<the command>)``, which fails when the docs no longer show that exact command.
- ``Covered(...)``: existing tests run it or, for what cannot run here (Docker, a 4-minute
  benchmark, the whole suite from inside itself), check it; each named function must exist and
  its source must contain the named fragments, so a stale mapping fails.

A command shown in the docs without an entry, or an entry no longer shown, fails the cheap tier.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import pty
import re
import select
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from extensions.features import FEATURES
from tests.helpers import (
    PRODUCTION_SECRET_KEY,
    TEMPLATE_ROOT,
    UV,
    RenderedProject,
    free_port,
    project_environment,
    render,
    wait_until_serving,
)
from tests.rendered_settings import settings_fields
from tests.scenarios import ALL_ON
from tests.services import running

DOC_FILES = [TEMPLATE_ROOT / "README.md", *sorted((TEMPLATE_ROOT / "docs").glob("*.md"))]
SHELL_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>bash|console|shell|sh)[ \t]*\n(?P<body>.*?)^(?P=indent)```",
    re.MULTILINE | re.DOTALL,
)
TEMPLATE_PLACEHOLDER = "/absolute/path/or/git-url"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Docs Tests",
    "GIT_AUTHOR_EMAIL": "docs-tests@example.com",
    "GIT_COMMITTER_NAME": "Docs Tests",
    "GIT_COMMITTER_EMAIL": "docs-tests@example.com",
}


# --------------------------------------------------------------------------- extraction


def _strip_comment(line: str) -> str:
    """Drop a trailing `# comment` that is outside quotes."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def commands_in(text: str) -> list[str]:
    """Every command of the shell fences of a Markdown text, normalised to one line each."""
    found: list[str] = []
    for fence in SHELL_FENCE.finditer(text):
        lines = fence.group("body").splitlines()
        if fence.group("lang") == "console":
            lines = [line.strip()[2:] for line in lines if line.strip().startswith("$ ")]
        logical = ""
        for line in lines:
            line = line.strip()
            if line.endswith("\\"):
                logical += line[:-1] + " "
                continue
            logical += line
            command = " ".join(_strip_comment(logical).split())
            logical = ""
            if command:
                found.append(command)
    return found


def documented_commands() -> dict[str, list[str]]:
    """command -> the files showing it."""
    shown: dict[str, list[str]] = {}
    for path in DOC_FILES:
        for command in commands_in(path.read_text()):
            shown.setdefault(command, []).append(str(path.relative_to(TEMPLATE_ROOT)))
    return shown


def documented(command: str) -> str:
    """The command, exactly as the docs show it; fails when they no longer do."""
    assert command in documented_commands(), f"the docs no longer show: {command}"
    return command


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Run:
    """Run for real by this module's `test`, which calls documented(<command>)."""

    test: str


@dataclass(frozen=True)
class Covered:
    """Exercised or checked by existing functions: ("tests/x.py::name", (fragments...)) each."""

    by: tuple[tuple[str, tuple[str, ...]], ...]


GENERATED_SUITE = (
    "tests/service/test_generated_project.py::_run_generated_suite",
    ('"run", "pytest"',),
)

KUBECTL_CHECKED = Covered(
    (
        (
            "tests/options/test_kubernetes.py::"
            "test_the_documented_kubectl_commands_name_what_the_manifests_define",
            ('"scale-out.md", "kubectl"', '"-f"', '"-k"', "job|deployment"),
        ),
    )
)

COMMANDS: dict[str, Run | Covered] = {
    # README and getting started: the demo and the template's own test command.
    (
        "pip install uv && uvx --with copier-template-extensions copier copy --trust --defaults"
        ' "$PWD" ../demo-service && cd ../demo-service && uv run scripts/start.sh'
    ): Covered(
        (
            (
                "tests/rendering/test_readme.py::test_demo_command_scaffolds_and_serves_on_sqlite",
                ("readme_commands()[0]", '"bash", "-c", command'),
            ),
        )
    ),
    "pip install uv && uv run pytest": Covered(
        (
            (
                "tests/rendering/test_readme.py::test_ci_runs_the_readmes_test_command",
                ("readme_commands()[1] in script", '".ci"'),
            ),
        )
    ),
    # Scaffolding.
    (
        f"uvx --with copier-template-extensions copier copy --trust {TEMPLATE_PLACEHOLDER}"
        " my-service"
    ): Run("test_copy_commands"),
    (
        "uvx --with copier-template-extensions copier copy --trust --defaults"
        ' --data project_name="Payments API" --data python_version=3.13'
        f" {TEMPLATE_PLACEHOLDER} payments-api"
    ): Run("test_copy_commands"),
    'git init && git add -A && git commit -m "Generate from fastapi-production-template"': Run(
        "test_copy_commands"
    ),
    # In a generated project.
    "uv run scripts/start.sh": Run("test_probe_and_metrics_commands"),
    "uv run pytest": Covered(
        (
            (
                "tests/service/test_generated_project.py::test_generated_suite_passes_on_sqlite",
                ("_run_generated_suite(installed_project",),
            ),
            GENERATED_SUITE,
        )
    ),
    "TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run pytest": Covered(
        (
            (
                "tests/service/test_generated_project.py::test_generated_suite_passes_on_postgresql",
                ("TEST_DATABASE_URL=postgres_url",),
            ),
            GENERATED_SUITE,
        )
    ),
    "TEST_REDIS_URL=redis://127.0.0.1:6379/0 uv run pytest": Covered(
        (
            (
                "tests/service/test_generated_project.py::_run_generated_suite",
                ('env["TEST_REDIS_URL"] = redis_url', '"run", "pytest"'),
            ),
        )
    ),
    'uv run scripts/new-migration.sh "add orders"': Run("test_migration_commands"),
    "uv run alembic upgrade heads": Run("test_migration_commands"),
    "uv run alembic current": Run("test_migration_commands"),
    "uv run alembic check": Run("test_migration_commands"),
    "uv run alembic downgrade -1": Run("test_migration_commands"),
    "uv run scripts/migrate.sh": Run("test_migration_commands"),
    "uv lock": Run("test_migration_commands"),
    "python -c 'import secrets; print(secrets.token_urlsafe(48))'": Run(
        "test_secret_and_preflight_commands"
    ),
    'ENVIRONMENT=production uv run python -c "import app.main"': Run(
        "test_secret_and_preflight_commands"
    ),
    'pg_dump --format=custom --no-owner --file=backup.dump "$PG_URL"': Run(
        "test_backup_and_restore_commands"
    ),
    "pg_restore --list backup.dump": Run("test_backup_and_restore_commands"),
    'pg_restore --clean --if-exists --no-owner --dbname="$PG_URL" backup.dump': Run(
        "test_backup_and_restore_commands"
    ),
    'curl -fsS -H "Authorization: Bearer $METRICS_TOKEN" http://127.0.0.1:8000/metrics': Run(
        "test_probe_and_metrics_commands"
    ),
    "curl -fsS http://127.0.0.1:8000/health": Run("test_probe_and_metrics_commands"),
    "curl -fsS http://127.0.0.1:8000/health/detailed": Run("test_probe_and_metrics_commands"),
    # Docker is not available here: the image and the stack are checked instead.
    "docker build -t payments-api .": Covered(
        (
            (
                "tests/rendering/test_render.py::test_dockerfile_passes_hadolint",
                ("hadolint", "Dockerfile"),
            ),
            (
                "tests/rendering/test_render.py::test_dockerfile_is_multi_stage_non_root_and_curl_free",
                ("USER",),
            ),
        )
    ),
    "docker compose up --build -d": Covered(
        (
            (
                "tests/rendering/test_render.py::test_compose_file_matches_the_compose_schema",
                ("vendor.compose-spec", "docker-compose.yml"),
            ),
            (
                "tests/rendering/test_render.py::test_compose_waits_for_a_healthy_database",
                ("service_healthy",),
            ),
            (
                "tests/docs/test_docs.py::test_operations_name_every_variable_compose_requires",
                ("docker-compose.yml", "### Docker"),
            ),
        )
    ),
    # Scale-out: several processes here; Kubernetes cannot run here (no cluster), so the paths
    # and objects the kubectl commands name are checked against a render instead.
    "WEB_CONCURRENCY=3 uv run scripts/start.sh": Covered(
        (
            (
                "tests/service/test_scale_out.py::test_the_documented_command_serves_with_several_workers",
                ('"scale-out.md"', '"scripts/start.sh" in line', '["bash", "-c", command]'),
            ),
        )
    ),
    "kubectl apply -f deploy/kubernetes/configmap.yaml": KUBECTL_CHECKED,
    "kubectl delete job my-service-migrate --ignore-not-found": KUBECTL_CHECKED,
    "kubectl apply -k deploy/kubernetes/migrate": KUBECTL_CHECKED,
    "kubectl wait --for=condition=complete job/my-service-migrate --timeout=10m": KUBECTL_CHECKED,
    "kubectl apply -k deploy/kubernetes": KUBECTL_CHECKED,
    "kubectl rollout status deployment/my-service --timeout=10m": KUBECTL_CHECKED,
    # Updating a service.
    "uvx --with copier-template-extensions copier check-update": Run("test_update_commands"),
    "uvx --with copier-template-extensions copier update --trust --defaults": Run(
        "test_update_commands"
    ),
    (
        "uvx --with copier-template-extensions copier update --trust --defaults"
        " --data cache=true --data redis=true"
    ): Run("test_update_commands"),
    "uvx --with copier-template-extensions copier update --trust --defaults --ask rate_limit": (
        Run("test_update_commands")
    ),
    # Developing the template.
    "uv sync": Run("test_template_development_commands"),
    'uv run pytest -m "not deep"': Run("test_template_development_commands"),
    "uv run pytest -m deep": Run("test_template_development_commands"),
    "uv run python bench/run.py": Run("test_benchmark_commands"),
    "uv run python bench/run.py --quick": Run("test_benchmark_commands"),
    "bash .ci/run": Run("test_ci_script"),
    "uv run mkdocs serve": Run("test_mkdocs_serve_previews_the_site"),
    "uv run mkdocs build --strict": Run("test_site_builds_strictly_without_touching_the_clone"),
}


def _function(reference: str) -> Any:
    path, name = reference.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    function = getattr(module, name, None)
    assert callable(function), f"{reference} does not exist"
    return function


def _documented_calls(function: Any) -> set[str]:
    tree = ast.parse(inspect.getsource(function).lstrip())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "documented"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


# --------------------------------------------------------------------------- registry tests


def test_every_documented_command_is_exercised() -> None:
    shown = documented_commands()

    unmapped = {command: files for command, files in shown.items() if command not in COMMANDS}

    assert shown, "no shell commands found in the docs"
    assert unmapped == {}, (
        "add these to COMMANDS in tests/docs/test_docs.py, with the test that runs them"
    )


def test_no_mapping_outlives_its_command() -> None:
    stale = set(COMMANDS) - set(documented_commands())

    assert stale == set(), "no longer shown in the docs; remove from COMMANDS"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_mapping_names_a_test_that_exercises_it(command: str) -> None:
    exercise = COMMANDS[command]
    if isinstance(exercise, Run):
        function = _function(f"tests/docs/test_docs.py::{exercise.test}")
        assert function.__name__.startswith("test_")
        assert command in _documented_calls(function), (
            f"{exercise.test} must run documented({command!r})"
        )
        return
    for reference, fragments in exercise.by:
        source = inspect.getsource(_function(reference))
        for fragment in fragments:
            assert fragment in source, f"{reference} no longer contains {fragment!r}"


def test_extraction_joins_continuations_and_drops_comments() -> None:
    text = (
        "```bash\nuv run a \\\n    --flag 'x # y'   # comment\n# only a comment\n```\n"
        "```console\n$ echo hi\nhi\n```\n```python\nprint('not shell')\n```\n"
    )

    assert commands_in(text) == ["uv run a --flag 'x # y'", "echo hi"]


# --------------------------------------------------------------------------- the site


def _git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _in_repo(command: str, *extra: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command + "".join(f" {arg}" for arg in extra)],
        cwd=TEMPLATE_ROOT,
        env=_with_uv_on_path({**os.environ, "NO_MKDOCS_2_WARNING": "1"}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _with_uv_on_path(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PATH": f"{Path(UV).parent}{os.pathsep}{env.get('PATH', '')}"}


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    before = _git_status()
    result = _in_repo(documented("uv run mkdocs build --strict"), "--site-dir", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    # --ignored too: __pycache__ of the hook is fine, a site/ or a render left behind is not.
    after = {line for line in _git_status().splitlines() if "__pycache__" not in line}
    assert after == {line for line in before.splitlines() if "__pycache__" not in line}
    return site


def _page(site: Path, name: str) -> str:
    return unescape((site / name / "index.html").read_text())


def test_site_builds_strictly_without_touching_the_clone(built_site: Path) -> None:
    documented("uv run mkdocs build --strict")
    nav = yaml.load(
        (TEMPLATE_ROOT / "mkdocs.yml").read_text(),
        Loader=yaml.Loader,  # mkdocs.yml uses !!python/name for the mermaid fence
    )["nav"]
    pages = re.findall(r"([\w-]+)\.md", json.dumps(nav))

    for page in pages:
        target = built_site / "index.html" if page == "index" else built_site / page / "index.html"
        assert target.is_file(), page
    assert {"questions", "configuration", "operations"} <= set(pages)
    assert 'class="mermaid"' in _page(built_site, "generated-service")
    for generated in ("questions", "configuration"):
        assert not (TEMPLATE_ROOT / "docs" / f"{generated}.md").exists()
        assert "language-bash" not in _page(built_site, generated), "commands there are untested"


def test_questions_page_covers_every_question_choice_and_rule(built_site: Path) -> None:
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    html = (built_site / "questions" / "index.html").read_text()
    page = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())

    for name, question in spec.items():
        if name.startswith("_"):
            continue
        assert name in page
        assert " ".join(question["help"].split()) in page, name
        for choice in question.get("choices", []):
            assert str(choice) in page
        if "validator" in question:
            message = re.sub(r"\{%.*?%\}", "", question["validator"], flags=re.DOTALL)
            for words in re.split(r"\{\{.*?\}\}", message):
                assert " ".join(words.split()) in page, f"{name}: {words}"


@pytest.fixture(scope="module")
def all_on_render(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    return render(tmp_path_factory.mktemp("docs-all-on"), ALL_ON)


def _settings_fields(project: RenderedProject) -> set[str]:
    return set(settings_fields(project.path, project.answers))


def test_configuration_page_lists_every_setting_of_the_all_on_render(
    built_site: Path, all_on_render: RenderedProject
) -> None:
    page = _page(built_site, "configuration")
    fields = _settings_fields(all_on_render)
    example = (all_on_render.path / ".env.example").read_text()
    variables = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))

    assert len(fields) > 40
    missing = {name for name in fields | variables if f"<code>{name}</code>" not in page}
    assert missing == set()
    for environment in ("development", "production", "test"):
        assert f"<th>{environment}</th>" in page


def test_operations_name_every_variable_compose_requires(all_on_render: RenderedProject) -> None:
    compose = (all_on_render.path / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", compose))
    docker_section = (TEMPLATE_ROOT / "docs" / "operations.md").read_text().split("### Docker")[1]

    assert required == {"SECRET_KEY", "POSTGRES_PASSWORD", "METRICS_TOKEN"}
    assert {name for name in required if f"`{name}`" not in docker_section} == set()


def test_architecture_diagram_follows_the_middleware_order(all_on_render: RenderedProject) -> None:
    main = (all_on_render.path / "app" / "main.py").read_text()
    added = re.findall(r"app\.add_middleware\(\s*(\w+)", main)
    core = list(reversed(added))  # added innermost first
    page = (TEMPLATE_ROOT / "docs" / "generated-service.md").read_text()
    diagram = page.split("```mermaid")[1].split("```")[0]
    optional = {"PrometheusMiddleware", "RateLimitMiddleware"}

    positions = [diagram.index(f'{name}["') for name in core]
    assert positions == sorted(positions), core
    for name in optional:
        module = (
            "app/integrations/metrics.py"
            if name == "PrometheusMiddleware"
            else "app/integrations/rate_limit.py"
        )
        assert name in (all_on_render.path / module).read_text()
    # Installed in this order by the loop between BodySizeLimit and CORS: metrics wraps rate_limit.
    integrations = (all_on_render.path / "app" / "bootstrap" / "integrations.py").read_text()
    assert integrations.index("rate_limit_integration,") < integrations.index(
        "metrics_integration,"
    )
    assert (
        diagram.index("CORSMiddleware[")
        < diagram.index("PrometheusMiddleware[")
        < diagram.index("RateLimitMiddleware[")
        < diagram.index("BodySizeLimitMiddleware[")
    )


def test_mkdocs_serve_previews_the_site() -> None:
    port = free_port()
    before = _git_status()
    process = subprocess.Popen(
        [
            "bash",
            "-c",
            f"{documented('uv run mkdocs serve')} --dev-addr 127.0.0.1:{port} --no-livereload",
        ],
        cwd=TEMPLATE_ROOT,
        env=_with_uv_on_path({**os.environ, "NO_MKDOCS_2_WARNING": "1"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        page = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/configuration/", timeout=2)
                if page.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]

    assert page is not None, output[-3000:]
    assert page.status_code == 200, output[-3000:]
    assert "SECRET_KEY" in page.text
    after = {line for line in _git_status().splitlines() if "__pycache__" not in line}
    assert after == {line for line in before.splitlines() if "__pycache__" not in line}


# --------------------------------------------------------------------------- template commands


def test_template_development_commands() -> None:
    # `uv sync` installs exactly the lock: prove the lock is current and the sync would succeed.
    sync = _in_repo(documented("uv sync"), "--locked", "--dry-run")
    assert sync.returncode == 0, sync.stderr
    # The tiers' marker expressions select disjoint, non-empty sets (collected, not run here:
    # this module is part of them).
    collected = {}
    for command in (documented('uv run pytest -m "not deep"'), documented("uv run pytest -m deep")):
        result = _in_repo(command, "--collect-only", "-q", "-p", "no:cacheprovider")
        assert result.returncode == 0, result.stdout[-3000:]
        collected[command] = {line for line in result.stdout.splitlines() if "::" in line}
    cheap, deep = collected.values()
    assert cheap
    assert deep
    assert cheap.isdisjoint(deep)
    assert "tests/docs/test_docs.py::test_every_documented_command_is_exercised" in cheap


def test_benchmark_commands() -> None:
    # The full run takes minutes and the machine's cores: its arguments are checked, and the
    # quick run is what CI runs after the tests (a smoke run, so the harness cannot rot).
    full = _in_repo(documented("uv run python bench/run.py"), "--help")
    assert full.returncode == 0, full.stderr
    assert "--quick" in full.stdout
    ci = (TEMPLATE_ROOT / ".ci" / "run").read_text()
    assert documented("uv run python bench/run.py --quick") in ci


def test_ci_script() -> None:
    script = TEMPLATE_ROOT / ".ci" / "run"
    command = documented("bash .ci/run")
    # Running CI from inside its own test run would recurse: parse it and check what it runs.
    parsed = _in_repo(command.replace("bash ", "bash -n ", 1))

    assert parsed.returncode == 0, parsed.stderr
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "uv run mkdocs build --strict" in text
    assert "pip install uv && uv run pytest" in text


# --------------------------------------------------------------------------- generated projects


@pytest.fixture(scope="module")
def docs_project(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    """The default answers, rendered and installed once for every command of a generated project."""
    project = render(tmp_path_factory.mktemp("docs-default"), {})
    project.sync()
    return project


def _shell(
    project_dir: Path, command: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=project_dir,
        env=_with_uv_on_path({**project_environment(), **(env or {})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (
        f"`{result.args[-1]}` exited {result.returncode}:\n{result.stdout[-4000:]}"
    )
    return result.stdout


@pytest.mark.deep
def test_migration_commands(docs_project: RenderedProject, tmp_path: Path) -> None:
    env = {**docs_project.env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"}
    path = docs_project.path
    versions = path / "alembic" / "versions"
    before = set(versions.glob("*.py"))

    _ok(_shell(path, documented("uv run alembic upgrade heads"), env))
    assert "(head)" in _ok(_shell(path, documented("uv run alembic current"), env))
    _ok(_shell(path, documented("uv run alembic check"), env))
    try:
        # On the service's branch, in alembic/versions/, starting it.
        _ok(_shell(path, documented('uv run scripts/new-migration.sh "add orders"'), env))
        created = set(versions.glob("*.py")) - before
        assert len(created) == 1
        written = created.pop()
        assert "add_orders" in written.name
        assert 'branch_labels: str | Sequence[str] | None = ("service",)' in written.read_text()
    finally:
        for extra in set(versions.glob("*.py")) - before:
            extra.unlink()
    _ok(_shell(path, documented("uv run alembic downgrade -1"), env))
    assert "(head)" not in _ok(_shell(path, "uv run alembic current", env))
    _ok(_shell(path, documented("uv run scripts/migrate.sh"), env))
    assert "(head)" in _ok(_shell(path, "uv run alembic current", env))
    _ok(_shell(path, documented("uv lock"), env))
    assert (path / "uv.lock").is_file()


@pytest.mark.deep
def test_secret_and_preflight_commands(docs_project: RenderedProject) -> None:
    secret = _ok(
        _shell(
            docs_project.path,
            documented("python -c 'import secrets; print(secrets.token_urlsafe(48))'"),
        )
    ).strip()
    assert len(secret) >= 32
    preflight = documented('ENVIRONMENT=production uv run python -c "import app.main"')
    complete = {
        **docs_project.env,
        "SECRET_KEY": secret,
        "DATABASE_URL": "postgresql://app:app@127.0.0.1:5432/app",
        "ALLOWED_ORIGINS": "https://app.example.com",
        "ALLOWED_HOSTS": "api.example.com",
        "METRICS_TOKEN": secret,
    }

    _ok(_shell(docs_project.path, preflight, complete))
    # Without SECRET_KEY the shipped placeholder in .env.production is read, and refused.
    refused = _shell(docs_project.path, preflight, {**complete, "SECRET_KEY": ""})
    assert refused.returncode == 1
    assert (
        refused.stdout.strip()
        .splitlines()[-1]
        .startswith("configuration error: invalid production configuration: SECRET_KEY")
    )


@pytest.fixture
def private_databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    """Two databases of our own on the shared server, dropped afterwards whatever happens."""
    names = [f"docs_backup_{uuid.uuid4().hex[:10]}", f"docs_restore_{uuid.uuid4().hex[:10]}"]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    base = postgres_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.deep
def test_backup_and_restore_commands(
    docs_project: RenderedProject, private_databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = private_databases
    _ok(
        _shell(
            docs_project.path,
            "uv run alembic upgrade heads",
            {**docs_project.env, "DATABASE_URL": source},
        )
    )
    with psycopg.connect(source, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO users (id, email, username, hashed_password) "
            "VALUES (gen_random_uuid(), 'backup@example.com', 'backup', 'x')"
        )

    _ok(
        _shell(
            tmp_path,
            documented('pg_dump --format=custom --no-owner --file=backup.dump "$PG_URL"'),
            {"PG_URL": source},
        )
    )
    listing = _ok(_shell(tmp_path, documented("pg_restore --list backup.dump")))
    restore = documented('pg_restore --clean --if-exists --no-owner --dbname="$PG_URL" backup.dump')
    _ok(_shell(tmp_path, restore, {"PG_URL": target}))  # into an empty database
    _ok(_shell(tmp_path, restore, {"PG_URL": target}))  # and over an existing one

    assert "TABLE public users" in listing
    with psycopg.connect(target) as connection:
        users = connection.execute("SELECT username FROM users").fetchall()
        version = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert users == [("backup",)]
    assert len(version) == 1


@pytest.mark.deep
def test_probe_and_metrics_commands(docs_project: RenderedProject, tmp_path: Path) -> None:
    port = free_port()
    token = uuid.uuid4().hex
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}",
        "METRICS_TOKEN": token,
        "LOG_LEVEL": "INFO",
        # The operations page shows production's JSON line; development's default is console.
        "LOG_FORMAT": "json",
        **_with_uv_on_path({"PATH": os.environ["PATH"]}),
    }
    start = ["bash", "-c", documented("uv run scripts/start.sh")]
    local = f"http://127.0.0.1:{port}"
    with running(docs_project, start, env, port) as service:
        wait_until_serving(local, service.process, timeout=120)
        probes = (
            documented("curl -fsS http://127.0.0.1:8000/health"),
            documented("curl -fsS http://127.0.0.1:8000/health/detailed"),
            documented(
                'curl -fsS -H "Authorization: Bearer $METRICS_TOKEN" http://127.0.0.1:8000/metrics'
            ),
        )
        outputs = [
            _shell(
                tmp_path,
                command.replace("http://127.0.0.1:8000", local),
                {"METRICS_TOKEN": token},
            )
            for command in probes
        ]
        unauthorised = httpx.get(f"{local}/metrics", timeout=10)
    log = service.output

    health, ready, metrics = (_ok(result) for result in outputs)
    assert json.loads(health) == {"status": "ok"}
    assert json.loads(ready)["status"] == "healthy"
    assert "http_requests_total" in metrics
    assert unauthorised.status_code == 401
    # The log line shown on the operations page has the keys of a real access log line.
    operations = (TEMPLATE_ROOT / "docs" / "operations.md").read_text()
    shown = json.loads(operations.split("```json\n")[1].split("```")[0])
    access = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"app.access"' in line
    ]
    assert access, log[-3000:]
    assert list(access[0]) == list(shown)
    # One line per request: uvicorn writes none of its own.
    assert '"uvicorn.access"' not in log


def _drive_prompts(
    command: str, cwd: Path, env: dict[str, str], timeout: float = 300
) -> tuple[int, str, int]:
    """Run an interactive command on a pseudo-terminal, pressing Enter at every prompt.

    Returns (exit status, output, how many times Enter was pressed).
    """
    master, slave = pty.openpty()
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=_with_uv_on_path({**project_environment(), **env, "TERM": "xterm"}),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    enters = 0
    last = time.monotonic()
    deadline = last + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
                last = time.monotonic()
            elif process.poll() is not None:
                break
            elif output and time.monotonic() - last > 1.5:
                # Quiet with a prompt on screen: take its default.
                os.write(master, b"\r")
                enters += 1
                last = time.monotonic()
        else:
            process.kill()
    finally:
        process.wait(timeout=60)
        os.close(master)
    return process.returncode, output.decode(errors="replace"), enters


def _prompted_questions(output: str) -> int:
    """How many questions Copier asked: each prompt line starts with the microphone."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    return len({line.strip() for line in plain.splitlines() if line.strip().startswith("🎤")})


@pytest.mark.deep
def test_copy_commands(tmp_path: Path) -> None:
    template = str(TEMPLATE_ROOT)
    questions = [
        k for k in yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text()) if k[0] != "_"
    ]

    scripted = documented(
        "uvx --with copier-template-extensions copier copy --trust --defaults"
        ' --data project_name="Payments API" --data python_version=3.13'
        " /absolute/path/or/git-url payments-api"
    )
    _ok(_shell(tmp_path, scripted.replace(TEMPLATE_PLACEHOLDER, template)))
    answers = yaml.safe_load((tmp_path / "payments-api" / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "Payments API"
    assert answers["project_slug"] == "payments-api"
    assert answers["python_version"] == "3.13"
    commit = documented(
        'git init && git add -A && git commit -m "Generate from fastapi-production-template"'
    )
    _ok(_shell(tmp_path / "payments-api", commit, GIT_IDENTITY))
    assert _ok(_shell(tmp_path / "payments-api", "git status --porcelain")) == ""

    interactive = documented(
        "uvx --with copier-template-extensions copier copy --trust /absolute/path/or/git-url"
        " my-service"
    )
    status, output, _ = _drive_prompts(
        interactive.replace(TEMPLATE_PLACEHOLDER, template), tmp_path, {}
    )
    assert status == 0, output[-3000:]
    assert _prompted_questions(output) == len(questions), output[-3000:]
    answers = yaml.safe_load((tmp_path / "my-service" / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "fastapi-service"
    assert (tmp_path / "my-service" / "app" / "main.py").is_file()


@pytest.mark.deep
def test_update_commands(tmp_path: Path) -> None:
    from tests.template_repo import TemplateRepo, copy_project, git

    template = TemplateRepo(tmp_path / "template-repo")
    template.release("v1.0.0")
    project = copy_project(template, tmp_path / "service", {}, "v1.0.0")
    template.edit("template/README.md.jinja", lambda text: text + "\nReleased as v1.1.0.\n")
    template.release("v1.1.0")
    env = GIT_IDENTITY

    check = _shell(
        project, documented("uvx --with copier-template-extensions copier check-update"), env
    )
    assert "1.1.0" in check.stdout, check.stdout[-3000:]

    _ok(
        _shell(
            project,
            documented("uvx --with copier-template-extensions copier update --trust --defaults"),
            env,
        )
    )
    assert "Released as v1.1.0." in (project / "README.md").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.1.0"
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "update to v1.1.0")

    _ok(
        _shell(
            project,
            documented(
                "uvx --with copier-template-extensions copier update --trust --defaults"
                " --data cache=true --data redis=true"
            ),
            env,
        )
    )
    assert (project / "app" / "integrations" / "cache.py").is_file()
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "cache on")

    ask = documented(
        "uvx --with copier-template-extensions copier update --trust --defaults --ask rate_limit"
    )
    status, output, _ = _drive_prompts(ask, project, env)
    assert status == 0, output[-3000:]
    assert _prompted_questions(output) == 1, output[-3000:]
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["rate_limit"] == "memory"
    assert answers["cache"] is True


def _question_rows(markdown: Path) -> list[tuple[str, str]]:
    """(question, shown default) of each `| `name` | default |` table row."""
    return re.findall(r"^\| `(\w+)` \| (.+?) \|", markdown.read_text(), re.MULTILINE)


def _assert_defaults_shown(rows: list[tuple[str, str]], questions: dict[str, Any]) -> None:
    for name, default in rows:
        expected = questions[name]["default"]
        if isinstance(expected, str) and "{{" in expected:
            continue  # computed: the page says what it derives from
        shown = str(expected).lower() if isinstance(expected, bool) else str(expected)
        assert default == f"`{shown}`", name


def test_readme_question_table_matches_copier_yml() -> None:
    """Every core question, in order; the options may be left to docs/options.md, so that an
    option is documented in one place."""
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    rows = _question_rows(TEMPLATE_ROOT / "README.md")
    questions = {name: q for name, q in spec.items() if not name.startswith("_")}
    options = {question for feature in FEATURES for question in feature.example}

    shown = [name for name, _ in rows]
    assert shown == [name for name in questions if name in shown]
    assert [name for name in questions if name not in options and name not in shown] == []
    _assert_defaults_shown(rows, questions)


def test_options_page_has_a_row_for_every_option() -> None:
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    rows = _question_rows(TEMPLATE_ROOT / "docs" / "options.md")
    options = {question for feature in FEATURES for question in feature.example}

    assert sorted(name for name, _ in rows) == sorted(options)
    _assert_defaults_shown(rows, spec)


# Run inside the all-on render, from an empty folder (no dotenv file is read): every field of
# the joined settings classes, and what production refuses to start without — the fields pydantic
# requires, then those the integrations' own validators name, one round at a time.
RUNTIME_SETTINGS = """
import json, os, re, sys
sys.path.insert(0, os.getcwd())
plausible = json.loads(sys.argv[2])
os.chdir(sys.argv[1])
from pydantic import ValidationError
from app.bootstrap import settings as s
classes = (s.AppSettings, s.DevelopmentSettings, s.ProductionSettings, s.TestingSettings)
fields = {c.__name__: sorted(c.model_fields) for c in classes}
for name in fields["AppSettings"]:
    os.environ.pop(name, None)
required = {n for n, f in s.ProductionSettings.model_fields.items() if f.is_required()}
os.environ.update({n: plausible[n] for n in required})
for _ in range(10):
    try:
        s.ProductionSettings()
        break
    except ValidationError as error:
        found = re.findall(r"([A-Z][A-Z0-9_, ]*) (?:is|are) required", str(error))
        named = {name for group in found for name in group.split(", ")}
        assert named - required, str(error)
        required |= named
        os.environ.update({n: plausible[n] for n in named})
print(json.dumps({"fields": fields, "required": sorted(required)}))
"""


@pytest.mark.deep
def test_configuration_page_matches_the_settings_classes_at_runtime(
    all_on_render: RenderedProject, built_site: Path, tmp_path: Path
) -> None:
    """Independent of any parsing: pydantic itself lists the fields and which are required."""
    plausible = {
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "DATABASE_URL": "postgresql://app:pw@db:5432/app",
        "ALLOWED_ORIGINS": "https://app.example.com",
        "ALLOWED_HOSTS": "api.example.com",
    } | {
        # A compose default (`${NAME:-value}`) stands for its value.
        setting.name: re.sub(
            r"^\$\{\w+:-(.*)\}$",
            r"\1",
            feature.compose_environment.get(setting.name, setting.example),
        )
        or "x"
        for feature in FEATURES
        for setting in feature.settings
    }
    all_on_render.sync()
    result = all_on_render.uv(
        "run", "python", "-c", RUNTIME_SETTINGS, str(tmp_path), json.dumps(plausible)
    ).check()
    runtime = json.loads(result.output.strip().splitlines()[-1])
    html = (built_site / "configuration" / "index.html").read_text()
    rows = {
        cells[0]: cells
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
        if (cells := re.findall(r"<td>(.*?)</td>", row, re.DOTALL))
    }
    page_required = {
        re.sub(r"</?code>", "", name)
        for name, cells in rows.items()
        if len(cells) == 6 and cells[3].startswith("<strong>required</strong>")
    }

    every_field = {name for fields in runtime["fields"].values() for name in fields}
    assert {name for name in every_field if f"<code>{name}</code>" not in rows} == set()
    assert page_required == set(runtime["required"])
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_ORIGINS", "REDIS_URL"} <= page_required
