"""A service's first releases, as a team lives them: `copier update` costs no merge work and loses
nothing.

On a private tagged copy of the template, an all-on service (v1.0.0) adds a `projects` resource
each part the documented way (docs/updating.md, "Where your code goes"): its model, schema,
service and routes with the service's provider beside them, a setting of its own
(`ServiceSettings`, with its `.env.example` line), a middleware (`service_wiring.py`), a worker
task (`app/tasks/`), a package of its own that declares its layer, a migration from
`scripts/new-migration.sh`, and tests. It also edits two files the `cache` option owns and one
file a release will move. Then it takes two releases that each add a setting, a provider, a
task, a middleware and a users column exactly where the template's own lists grow (v1.2.0 also
moves `app/api/pagination.py` to `paging.py` and renames `PageRequestDep`, keeping an alias),
and turns `cache` off.

Must show: no conflict after any step; the moved file's edit carried to the new path and the
service's import of it rewritten; the renamed name's use named and working through its alias
(its warning shown by the suite, not raised); each release's notes printed and kept in
UPGRADING.md; the option's edited files named and set aside; then ruff, mypy, the layer check,
every migration of both branches on SQLite and PostgreSQL, and the service's suite (its own
tests included) on both databases.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.generated_suite import assert_suite_passes_on_both_databases
from tests.helpers import TEMPLATE_ROOT, RenderedProject
from tests.scenarios import ALL_ON
from tests.template_repo import (
    TemplateRepo,
    assert_merged_cleanly,
    commit_all,
    copy_project,
    git,
    update_project,
)

pytestmark = pytest.mark.deep

SET_ASIDE = ".template-set-aside"
NO_CONFLICTS = "copier update: no conflicts."

# --------------------------------------------------------------------------- the team's code

SERVICE_SETTINGS = '''"""The service's own settings."""

from __future__ import annotations

from pydantic import Field

from app.core.config import Settings


class ServiceSettings(Settings):
    """The settings our own code reads."""

    # How many projects one user may own.
    PROJECTS_PER_USER: int = Field(default=3, ge=1)
'''

# A pure ASGI middleware adding one response header: the team's and each release's.
HEADER_MIDDLEWARE = """class {name}:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = (b"{header}", b"{value}")
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_header)
"""

SERVICE_WIRING = f'''"""The service's own wiring: a header naming the service on every response."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.bootstrap.settings import AppSettings
from app.core.hooks import LifespanHook


{HEADER_MIDDLEWARE.format(name="ServiceHeaderMiddleware", header="x-service", value="projects")}

def install(app: FastAPI, settings: AppSettings) -> LifespanHook | None:
    app.add_middleware(ServiceHeaderMiddleware)
    return None
'''

BILLING_PACKAGE = '"""Quotas of the service\'s plans."""\n\nLAYER = "services"\n'
BILLING_QUOTA = '''"""Whether one more of something fits a quota."""

from __future__ import annotations


def within_quota(count: int, limit: int) -> bool:
    return count < limit
'''

PROJECT_MODEL = '''"""Projects, owned by users."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TimestampMixin


class Project(TimestampMixin, Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
'''

PROJECT_SCHEMA = '''"""What the projects API reads and writes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
'''

PROJECT_SERVICE = '''"""Projects belong to the user who created them, up to a quota each."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.quota import within_quota
from app.models.project import Project


class ProjectLimitError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"At most {limit} projects per user")


class ProjectService:
    def __init__(self, session: AsyncSession, *, limit: int) -> None:
        self._session = session
        self._limit = limit

    async def create(self, owner_id: uuid.UUID, name: str) -> Project:
        owned = await self._session.scalar(
            select(func.count()).select_from(Project).where(Project.owner_id == owner_id)
        )
        if not within_quota(owned or 0, self._limit):
            raise ProjectLimitError(self._limit)
        project = Project(owner_id=owner_id, name=name)
        self._session.add(project)
        await self._session.flush()
        return project

    async def owned_by(self, owner_id: uuid.UUID, *, limit: int, offset: int) -> list[Project]:
        found = await self._session.scalars(
            select(Project)
            .where(Project.owner_id == owner_id)
            .order_by(Project.name)
            .limit(limit)
            .offset(offset)
        )
        return list(found)
'''

PROJECT_ROUTES = '''"""The projects resource, built like items: its provider sits here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from app.api.deps import CurrentUser, ServiceSettingsDep, SessionDep
from app.api.pagination import PageRequestDep
from app.schemas.project import ProjectCreate, ProjectRead
from app.services.project_service import ProjectLimitError, ProjectService


async def get_project_service(session: SessionDep, settings: ServiceSettingsDep) -> ProjectService:
    return ProjectService(session, limit=settings.PROJECTS_PER_USER)


ProjectServiceDep = Annotated[ProjectService, Depends(get_project_service)]

router = APIRouter(prefix="/projects", tags=["projects"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_project(
    body: ProjectCreate, user: CurrentUser, projects: ProjectServiceDep
) -> ProjectRead:
    try:
        project = await projects.create(user.id, body.name)
    except ProjectLimitError as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return ProjectRead.model_validate(project)


@router.get("")
async def my_projects(
    user: CurrentUser, projects: ProjectServiceDep, page: PageRequestDep
) -> list[ProjectRead]:
    found = await projects.owned_by(user.id, limit=page.limit, offset=page.offset)
    return [ProjectRead.model_validate(project) for project in found]
'''

PROJECT_TASKS = '''"""The service's worker tasks about projects."""

from __future__ import annotations

from app.integrations.worker.broker import broker


@broker.task(task_name="archive_project")
async def archive_project(project_id: str) -> str:
    return project_id
'''

PROJECT_TESTS = """from __future__ import annotations

from httpx import AsyncClient


async def test_projects_are_created_up_to_the_quota_and_listed_in_pages(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    for name in ("alpha", "beta", "gamma"):
        created = await client.post("/api/v1/projects", json={"name": name}, headers=auth_headers)
        assert created.status_code == 201, created.text
        assert created.headers["x-service"] == "projects"

    refused = await client.post("/api/v1/projects", json={"name": "delta"}, headers=auth_headers)
    listed = await client.get("/api/v1/projects?limit=2", headers=auth_headers)

    assert refused.status_code == 409
    assert [project["name"] for project in listed.json()] == ["alpha", "beta"]


async def test_projects_need_a_signed_in_user(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/projects")).status_code == 401
"""

TASK_TESTS = """from __future__ import annotations

from app.integrations.worker.process import task_modules


def test_the_worker_finds_the_services_project_tasks() -> None:
    assert "app.tasks.projects" in task_modules()
"""

SERVICE_ROUTES = '''"""Who may call our own routes."""

from __future__ import annotations

from tests.support import USER

SERVICE_ACCESS = {"GET /api/v1/projects": USER, "POST /api/v1/projects": USER}
'''

TEAM_NOTE = "\n# Changed by the team: reports feed the weekly digest too.\n"
TEAM_PAGE_SIZE = "PROJECTS_PAGE_SIZE = 10\n"


TEAM_DEPENDENCY = "annotated-types>=0.7"
TEAM_HOOK = """      - id: team-check
        name: the team's own check
        entry: "true"
        language: system
        pass_filenames: false
"""


def below_the_marker(path: Path, marker: str, addition: str) -> None:
    """`addition` after the marker's comment (and its continuation lines)."""
    lines = path.read_text().splitlines(keepends=True)
    [start] = [number for number, line in enumerate(lines) if line.startswith(marker)]
    end = start + 1
    while end < len(lines) and lines[end].lstrip().startswith("#"):
        end += 1
    path.write_text("".join([*lines[:end], addition, *lines[end:]]))


def build_projects(project: RenderedProject) -> Path:
    """Each part where docs/updating.md puts it; returns the service's revision."""
    path = project.path
    files = {
        "app/core/service_settings.py": SERVICE_SETTINGS,
        "app/bootstrap/service_wiring.py": SERVICE_WIRING,
        "app/billing/__init__.py": BILLING_PACKAGE,
        "app/billing/quota.py": BILLING_QUOTA,
        "app/models/project.py": PROJECT_MODEL,
        "app/schemas/project.py": PROJECT_SCHEMA,
        "app/services/project_service.py": PROJECT_SERVICE,
        "app/api/routes/projects.py": PROJECT_ROUTES,
        "app/tasks/__init__.py": '"""The service\'s worker tasks."""\n',
        "app/tasks/projects.py": PROJECT_TASKS,
        "tests/test_api/test_projects.py": PROJECT_TESTS,
        "tests/test_tasks/__init__.py": "",
        "tests/test_tasks/test_projects.py": TASK_TESTS,
        "tests/service_routes.py": SERVICE_ROUTES,
    }
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    with (path / ".env.example").open("a") as env_example:
        env_example.write("# How many projects one user may own.\nPROJECTS_PER_USER=3\n")
    # Two files the cache option owns, and one a release will move.
    for owned in ("app/api/routes/reports.py", "tests/test_integrations/test_cache.py"):
        with (path / owned).open("a") as edited:
            edited.write(TEAM_NOTE)
    # Where the template's own lists grow in files both sides edit: below the marked line.
    below_the_marker(
        path / "app/models/user.py",
        "    # Your service's own columns on users below this line",
        "    nickname: Mapped[str | None] = mapped_column(String(40))\n",
    )
    below_the_marker(
        path / "pyproject.toml",
        "    # Your service's own dependencies below this line",
        f'    "{TEAM_DEPENDENCY}",\n',
    )
    below_the_marker(
        path / ".pre-commit-config.yaml", "      # Your own hooks below this line", TEAM_HOOK
    )
    pagination = path / "app/api/pagination.py"
    pagination.write_text(
        pagination.read_text().replace(
            "MAX_OFFSET = 1_000_000\n", f"MAX_OFFSET = 1_000_000\n{TEAM_PAGE_SIZE}"
        )
    )
    project.uv("run", "scripts/new-migration.sh", "add projects").check()
    [revision] = (path / "alembic/versions").glob("*_add_projects.py")
    commit_all(path, "projects")
    return revision


# --------------------------------------------------------------------------- the releases

_TEMPLATE_HEAD = max(
    int(path.name[:4])
    for path in (TEMPLATE_ROOT / "template/alembic/template_versions").glob("[0-9]*_*.py")
)

RELEASE_MIDDLEWARE = '''"""Release {dotted}'s response header."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


{middleware}'''

RELEASE_REVISION = '''"""users: release {dotted} note

Revision ID: {revision}
Revises: {parent}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{revision}"
down_revision: str | Sequence[str] | None = "{parent}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("release_{compact}_note", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("release_{compact}_note")
'''

# Development tools each release adds: inert in the suite (a plugin off by default, type stubs).
RELEASE_DEPENDENCIES = {1: "pytest-timeout>=2.3", 2: "types-pyyaml>=6.0"}

MOVED_ALIAS = """

if TYPE_CHECKING:
    PageRequestDep = PageParamsDep
else:
    __getattr__ = renamed_names(__name__, {"PageRequestDep": "PageParamsDep"})
"""


def release(template: TemplateRepo, version: str, ordinal: int, note: str) -> str:
    """A setting, a provider, a task, a middleware and a users column, each where the
    template's own lists grow, plus its notes; returns its revision."""
    dotted = version.removeprefix("v").rsplit(".", 1)[0]
    compact = dotted.replace(".", "")
    revision, parent = f"{_TEMPLATE_HEAD + ordinal:04d}", f"{_TEMPLATE_HEAD + ordinal - 1:04d}"
    t = "template/"
    template.edit(
        t + "app/core/config.py.jinja",
        lambda text: text.replace(
            '    @field_validator("DATABASE_URL")',
            f'    RELEASE_{compact}_ENABLED: bool = False\n\n    @field_validator("DATABASE_URL")',
            1,
        ),
    )
    template.edit(
        t + ".env.example.jinja",
        lambda text: text.replace(
            "MIGRATE_ON_START=true\n",
            f"MIGRATE_ON_START=true\n# Release {dotted}'s switch.\n"
            f"RELEASE_{compact}_ENABLED=false\n",
        ),
    )
    template.edit(
        t + "app/api/deps.py.jinja",
        lambda text: (
            text + f'\n\nasync def get_release_{compact}() -> str:\n    return "{dotted}"\n\n\n'
            f"Release{compact}Dep = Annotated[str, Depends(get_release_{compact})]\n"
        ),
    )
    template.edit(
        t + "app/integrations/{% if 'worker' in features %}worker{% endif %}/tasks.py",
        lambda text: (
            text + f'\n\n@broker.task(task_name="release_{compact}")\n'
            f'async def release_{compact}() -> str:\n    return "{dotted}"\n'
        ),
    )
    (template.path / t / f"app/middleware/release_{compact}.py").write_text(
        RELEASE_MIDDLEWARE.format(
            dotted=dotted,
            middleware=HEADER_MIDDLEWARE.format(
                name=f"Release{compact}Middleware", header="x-release", value=dotted
            ),
        )
    )
    template.edit(
        t + "app/main.py",
        lambda text: text.replace(
            "from app.middleware.request_id import",
            f"from app.middleware.release_{compact} import Release{compact}Middleware\n"
            "from app.middleware.request_id import",
        ).replace(
            "    app.add_middleware(AccessLogMiddleware, observers=request_observers(app))\n",
            f"    app.add_middleware(Release{compact}Middleware)\n"
            "    app.add_middleware(AccessLogMiddleware, observers=request_observers(app))\n",
        ),
    )
    template.edit(
        t + "app/models/user.py.jinja",
        lambda text: text.replace(
            "    # Your service's own columns on users below this line",
            f"    release_{compact}_note: Mapped[str | None] = mapped_column(String(50))\n"
            "    # Your service's own columns on users below this line",
        ),
    )
    (
        template.path / t / f"alembic/template_versions/{revision}_users_release_{compact}.py"
    ).write_text(
        RELEASE_REVISION.format(dotted=dotted, compact=compact, revision=revision, parent=parent)
    )
    template.edit(
        t + ".pre-commit-config.yaml",
        lambda text: text.replace(
            "      # Your own hooks below this line",
            f"      - id: release-{compact}\n        name: release {dotted}'s check\n"
            '        entry: "true"\n        language: system\n        pass_filenames: false\n'
            "      # Your own hooks below this line",
        ),
    )
    template.edit(
        "extensions/core.py",
        lambda text: text.replace(
            "CORE_DEV_DEPENDENCIES: tuple[str, ...] = (\n",
            f'CORE_DEV_DEPENDENCIES: tuple[str, ...] = (\n    "{RELEASE_DEPENDENCIES[ordinal]}",\n',
            1,
        ),
    )
    template.edit(
        "CHANGELOG.md",
        lambda text: text.replace(
            "## Unreleased\n", f"## Unreleased\n\n## {version}\n\n### Upgrading\n- {note}\n", 1
        ),
    )
    return revision


def move_pagination_and_rename_its_dependency(template: TemplateRepo) -> None:
    git(template.path, "mv", "template/app/api/pagination.py", "template/app/api/paging.py")
    template.rename_everywhere("app.api.pagination", "app.api.paging")
    template.rename_everywhere("PageRequestDep", "PageParamsDep")
    template.edit(
        "template/app/api/paging.py",
        lambda text: (
            text.replace(
                "from typing import Annotated", "from typing import TYPE_CHECKING, Annotated"
            ).replace(
                "from fastapi import Depends, Query\n",
                "from fastapi import Depends, Query\n\n"
                "from app.core.deprecation import renamed_names\n",
            )
            + MOVED_ALIAS
        ),
    )
    template.edit(
        "migrations/releases.yml",
        lambda text: text.replace(
            "\nmoved: []",
            "\nmoved:\n  - {release: v1.2.0, from: app/api/pagination.py, to: app/api/paging.py}",
        ).replace(
            "\nrenamed: []",
            "\nrenamed:\n  - {release: v1.2.0, module: app.api.paging, old: PageRequestDep,"
            " new: PageParamsDep, alias_until: v1.3.0}",
        ),
    )


# --------------------------------------------------------------------------- the journey


def update(
    project: Path, ref: str, step: str, capfd: pytest.CaptureFixture[str], **data: object
) -> str:
    capfd.readouterr()
    update_project(project, ref, dict(data))
    printed = capfd.readouterr().err
    assert_merged_cleanly(project, step)
    assert NO_CONFLICTS in printed, printed
    return printed


def applied_revisions_on(project: RenderedProject, database_url: str) -> str:
    env = {"DATABASE_URL": database_url}
    project.uv("run", "scripts/migrate.sh", env=env).check()
    project.uv("run", "alembic", "check", env=env).check()
    return project.uv("run", "alembic", "current", env=env).check().output


def assert_applied(current: str, *heads: str) -> None:
    """`alembic current` names each branch's head: the template's newest and the service's."""
    for head in heads:
        assert any(line.startswith(f"{head} ") for line in current.splitlines()), current


def test_a_service_extends_itself_takes_two_releases_and_an_option_off_without_losing_work(
    tmp_path: Path, postgres_url: str, redis_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    template = TemplateRepo(tmp_path / "template-repo")
    template.release("v1.0.0")
    path = copy_project(template, tmp_path / "service", ALL_ON, "v1.0.0")
    project = RenderedProject(path, ALL_ON)
    project.sync()
    service_revision = build_projects(project).name.split("_", 1)[0]

    release(template, "v1.1.0", 1, "Release 1.1 adds RELEASE_11_ENABLED.")
    template.release("v1.1.0")
    printed = update(path, "v1.1.0", "take v1.1.0", capfd)
    assert "- Release 1.1 adds RELEASE_11_ENABLED." in printed
    commit_all(path, "v1.1.0")

    second = release(template, "v1.2.0", 2, "`app/api/pagination.py` is `app/api/paging.py`.")
    move_pagination_and_rename_its_dependency(template)
    template.release("v1.2.0")
    printed = update(path, "v1.2.0", "take v1.2.0", capfd)
    assert "- `app/api/pagination.py` is `app/api/paging.py`." in printed
    assert "- Release 1.1" not in printed  # already seen
    assert (
        "app/api/pagination.py: moved to app/api/paging.py by v1.2.0; your changes carried there"
        " (merged cleanly)" in printed
    )
    assert "Imports of moved modules rewritten in: app/api/routes/projects.py" in printed
    routes = (path / "app/api/routes/projects.py").read_text()
    assert "from app.api.paging import PageRequestDep" in routes
    use = routes.splitlines().index("from app.api.paging import PageRequestDep") + 1
    assert f"app/api/routes/projects.py:{use}: PageRequestDep is now PageParamsDep" in printed
    paging = (path / "app/api/paging.py").read_text()
    assert TEAM_PAGE_SIZE in paging
    assert "PageParamsDep" in paging
    assert not (path / "app/api/pagination.py").exists()
    commit_all(path, "v1.2.0")

    printed = update(path, "v1.2.0", "turn cache off", capfd, cache=False)
    for owned in ("app/api/routes/reports.py", "tests/test_integrations/test_cache.py"):
        assert f"  {owned}: removed by this update" in printed, printed
        assert not (path / owned).exists()
        assert (path / SET_ASIDE / owned).read_text().endswith(TEAM_NOTE)
    # The team reads what was set aside and lets it go.
    shutil.rmtree(path / SET_ASIDE)
    commit_all(path, "cache off")

    # Every release's additions and every one of the service's, side by side.
    upgrading = (path / "UPGRADING.md").read_text()
    assert "v1.0.0 → v1.1.0" in upgrading
    assert "v1.1.0 → v1.2.0" in upgrading
    user_model = (path / "app/models/user.py").read_text()
    assert "release_11_note" in user_model
    assert "release_12_note" in user_model
    assert "PROJECTS_PER_USER=3" in (path / ".env.example").read_text()
    assert "RELEASE_12_ENABLED=false" in (path / ".env.example").read_text()
    assert "nickname" in user_model
    pyproject = (path / "pyproject.toml").read_text()
    for dependency in (TEAM_DEPENDENCY, *RELEASE_DEPENDENCIES.values()):
        assert f'"{dependency}"' in pyproject, dependency
    hooks = (path / ".pre-commit-config.yaml").read_text()
    assert TEAM_HOOK in hooks
    assert "id: release-11" in hooks
    assert "id: release-12" in hooks
    assert (path / "app/core/service_settings.py").read_text() == SERVICE_SETTINGS
    assert (path / "app/bootstrap/service_wiring.py").read_text() == SERVICE_WIRING

    project.sync()
    project.uv("run", "ruff", "check", ".").check()
    project.uv("run", "ruff", "format", "--check", ".").check()
    project.uv("run", "mypy").check()
    project.uv("run", "python", "scripts/check_layers.py").check()

    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    assert_applied(applied_revisions_on(project, sqlite_url), service_revision, second)
    database = f"journey_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        server = postgres_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        current = applied_revisions_on(project, f"{server}/{database}")
        assert_applied(current, service_revision, second)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    # The everyday suite: the slow proofs (the served protocol, the command-line tooling, the
    # worker's signals) are the all-on deep scenario's; this service's migrations ran above.
    on_sqlite, on_postgresql = assert_suite_passes_on_both_databases(
        project, postgres_url, redis_url, everyday=True
    )
    ours = {test for test in on_sqlite.passed if "test_projects" in test}
    assert len(ours) == 3, sorted(on_sqlite.passed)
    assert {test for test in ours if "test_api" in test} <= on_postgresql.passed
    # The renamed name works through its alias: shown as a warning, not raised.
    assert "TemplateDeprecationWarning" in on_sqlite.output
