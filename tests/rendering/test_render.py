"""Cheap tier: what a render contains, before anything is installed."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import copier
import pytest

from tests.helpers import TEMPLATE_ROOT, RenderedProject, render

BIN = Path(sys.executable).parent

# The seed's tree (production-best-practices.md) in its rooms (issue 14), every file of which
# must exist.
SEED_FILES = [
    "app/__init__.py",
    "app/main.py",
    "app/core/__init__.py",
    "app/core/config.py",
    "app/core/environments.py",
    "app/core/config_loading.py",
    "app/core/errors.py",
    "app/core/hooks.py",
    "app/core/tokens.py",
    "app/core/password_hashing.py",
    "app/core/logging.py",
    "app/bootstrap/__init__.py",
    "app/bootstrap/settings.py",
    "app/bootstrap/lifespan.py",
    "app/bootstrap/integrations.py",
    "app/bootstrap/gunicorn_conf.py",
    "app/integrations/__init__.py",
    "app/api/__init__.py",
    "app/api/deps.py",
    "app/api/routes/__init__.py",
    "app/api/health.py",
    "app/core/discovery.py",
    "app/api/routes/auth.py",
    "app/api/routes/users.py",
    "app/models/__init__.py",
    "app/models/user.py",
    "app/schemas/__init__.py",
    "app/schemas/user.py",
    "app/schemas/token.py",
    "app/services/__init__.py",
    "app/services/user_service.py",
    "app/services/auth_service.py",
    "app/db/__init__.py",
    "app/db/session.py",
    "app/db/base.py",
    "app/middleware/__init__.py",
    "app/middleware/exception_handlers.py",
    "app/middleware/unhandled_errors.py",
    "app/middleware/request_id.py",
    "alembic/env.py",
    "alembic/template_versions/0001_create_users.py",
    "alembic/versions/README.md",
    "tests/conftest.py",
    "tests/features.py",
    "tests/plugins/__init__.py",
    "tests/test_layers.py",
    "tests/test_api/test_auth.py",
    "tests/test_services/test_auth_service.py",
    "tests/test_end_to_end/test_auth_flow.py",
    "tests/test_layout.py",
    "scripts/start.sh",
    "scripts/migrate.sh",
    "scripts/new-migration.sh",
    "scripts/new_migration.py",
    "scripts/check_layers.py",
    ".env.example",
    ".env.development",
    ".env.production",
    "alembic.ini",
    "pyproject.toml",
    "Dockerfile",
    "docker-compose.yml",
    "README.md",
    ".gitignore",
    ".dockerignore",
    ".copier-answers.yml",
    ".pre-commit-config.yaml",
]

# Accounts past the seed (issue 17), in every render: roles, admin user management, the one
# pagination dependency and page schema, the first admin from the environment, and the owned
# example resource (items).
ACCOUNT_FILES = [
    "app/models/role.py",
    "app/schemas/page.py",
    "app/api/pagination.py",
    "app/services/user_admin_service.py",
    "app/bootstrap/first_superuser.py",
    "app/bootstrap/migrate.py",
    "alembic/template_versions/0002_users_role.py",
    "alembic/template_versions/0003_create_items.py",
    "app/models/item.py",
    "app/schemas/item.py",
    "app/services/item_service.py",
    "app/api/routes/items.py",
    "tests/test_api/test_items.py",
    "tests/test_api/test_admin_users.py",
    "tests/test_bootstrap/test_first_superuser.py",
    "app/api/responses.py",
    "app/models/refresh_token.py",
    "alembic/template_versions/0004_create_refresh_tokens.py",
    "tests/test_api/test_sessions.py",
    "tests/test_api/test_account.py",
]

# Outdated practices from the seed that must not survive into a generated service.
BANNED = {
    r"\bjose\b": "python-jose (access tokens are app/core/tokens.py's)",
    r"\bpasslib\b": "passlib (use pwdlib)",
    r"\baioredis\b": "aioredis (use redis.asyncio)",
    r"\bon_event\b": "@app.on_event (use lifespan)",
    r"\butcnow\(": "datetime.utcnow (use aware datetimes)",
    r"class Config\b": "class Config (use SettingsConfigDict / ConfigDict)",
    r"BaseHTTPMiddleware": "BaseHTTPMiddleware (use pure ASGI middleware)",
    r"\bORJSONResponse\b|\bUJSONResponse\b": "deprecated JSON response classes",
    r"pythonjsonlogger\.jsonlogger": "pythonjsonlogger.jsonlogger (use pythonjsonlogger.json)",
    r"\bfastapi_cache\b": "fastapi-cache2 (unmaintained)",
    r"\bslowapi\b": "slowapi (blocks the event loop)",
}


def test_seed_layout_is_complete(default_project: RenderedProject) -> None:
    expected = SEED_FILES + ACCOUNT_FILES
    missing = [name for name in expected if not (default_project.path / name).is_file()]

    assert missing == []


def test_the_template_tests_mirror_its_app() -> None:
    """The generated tests/test_layout.py, run on the unrendered tree: every render's tests then
    mirror its app/ whatever the options, since options add files, never folders of tests."""
    path = TEMPLATE_ROOT / "template" / "tests" / "test_layout.py"
    spec = importlib.util.spec_from_file_location("generated_test_layout", path)
    assert spec is not None
    assert spec.loader is not None
    layout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layout)

    assert layout.layout_problems(TEMPLATE_ROOT / "template") == []


def test_no_template_syntax_or_suffix_is_left(default_project: RenderedProject) -> None:
    leftovers = []
    for path in default_project.files():
        if path.suffix == ".jinja":
            leftovers.append(f"{path}: .jinja suffix")
            continue
        text = path.read_text(encoding="utf-8")
        # `${{ ... }}` is GitHub Actions' own expression syntax, not a Jinja leftover.
        if re.search(r"(?<!\$)\{\{|\{%", text):
            leftovers.append(str(path))

    assert leftovers == []


def test_every_python_file_compiles(default_project: RenderedProject) -> None:
    for path in default_project.path.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.parametrize("pattern", sorted(BANNED))
def test_outdated_practices_are_absent(default_project: RenderedProject, pattern: str) -> None:
    offenders = [
        str(path.relative_to(default_project.path))
        for path in default_project.path.rglob("*")
        if path.is_file() and re.search(pattern, path.read_text(encoding="utf-8"))
    ]

    assert offenders == [], BANNED[pattern]


def test_scripts_are_executable(default_project: RenderedProject) -> None:
    for name in ("scripts/start.sh", "scripts/migrate.sh"):
        assert (default_project.path / name).stat().st_mode & 0o111, name


def test_dockerfile_passes_hadolint(default_project: RenderedProject) -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", "Dockerfile"],
        cwd=default_project.path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_and_curl_free(
    default_project: RenderedProject,
) -> None:
    dockerfile = (default_project.path / "Dockerfile").read_text()

    assert dockerfile.count("\nFROM ") + dockerfile.startswith("FROM ") >= 2
    assert "USER 10001:10001" in dockerfile
    assert "curl" not in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "uv sync --locked --no-dev" in dockerfile


def test_dockerfile_base_images_are_pinned_by_digest(default_project: RenderedProject) -> None:
    dockerfile = (default_project.path / "Dockerfile").read_text()
    images = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    images += re.findall(r"COPY --from=(\S+)", dockerfile)
    external = [image for image in images if "/" in image or ":" in image]

    assert len(external) == 3, images  # builder, runtime, uv
    for image in external:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), image
    uv_version = re.search(r"astral-sh/uv:(\d+)\.(\d+)", dockerfile)
    assert uv_version is not None
    assert (int(uv_version.group(1)), int(uv_version.group(2))) >= (0, 13)


def test_compose_file_matches_the_compose_schema(default_project: RenderedProject) -> None:
    result = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            "docker-compose.yml",
        ],
        cwd=default_project.path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_waits_for_a_healthy_database(default_project: RenderedProject) -> None:
    import yaml

    compose = yaml.safe_load((default_project.path / "docker-compose.yml").read_text())

    assert compose["services"]["api"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in compose["services"]["db"]
    assert "healthcheck" in compose["services"]["api"]


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_python_version_reaches_every_file_that_names_it(tmp_path: Path, version: str) -> None:
    project = render(tmp_path, {"python_version": version})
    pyproject = (project.path / "pyproject.toml").read_text()

    assert f'requires-python = ">={version}"' in pyproject
    assert f'target-version = "py{version.replace(".", "")}"' in pyproject
    assert f'python_version = "{version}"' in pyproject
    assert f"FROM python:{version}-slim" in (project.path / "Dockerfile").read_text()
    assert (project.path / ".python-version").read_text().strip() == version


def test_secrets_are_never_answers(default_project: RenderedProject) -> None:
    answers = (default_project.path / ".copier-answers.yml").read_text().lower()

    assert "secret" not in answers
    assert "password" not in answers


def test_message_after_copy_says_to_commit_before_updating(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    copier.run_copy(
        str(TEMPLATE_ROOT), str(tmp_path / "svc"), defaults=True, unsafe=True, vcs_ref="HEAD"
    )
    message = capfd.readouterr().err

    steps = message[message.index("Next steps:") :]
    assert steps.index("git init") < steps.index("scripts/start.sh")
    assert 'git commit -m "Generate from the template"' in steps
    assert "`copier update` needs a git repository with a clean tree" in steps
