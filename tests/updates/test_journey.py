"""A service's first weeks, as a team lives them: `copier update` must cost no merge work.

On a private tagged copy of the template: generate v1.0.0; add an `orders` resource the documented
way (a model module, a route module, a service, `scripts/new-migration.sh`, a test), commit; the
template releases v1.1.0, which changes the users model with a migration of its own and adds a
router; update; then turn an option that adds a router (`cache`: the reports route) on and off
again. After every step: no conflict markers, nothing unmerged. At the end the service's routes
are still served, every migration of both branches applies on SQLite and on PostgreSQL with no
merge, `alembic check` agrees with the models, and the service's whole suite passes on both.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

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
    update_project,
)

pytestmark = pytest.mark.deep

ORDER_MODEL = '''"""Orders placed by users."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TimestampMixin


class Order(TimestampMixin, Base):
    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
'''

ORDER_SCHEMA = '''"""What the orders API reads and writes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class OrderCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
'''

ORDER_SERVICE = '''"""Orders belong to the user who placed them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.order import Order


class OrderService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def place(self, owner_id: uuid.UUID, title: str) -> Order:
        order = Order(owner_id=owner_id, title=title)
        self._session.add(order)
        await self._session.flush()
        return order

    async def placed_by(self, owner_id: uuid.UUID) -> list[Order]:
        found = await self._session.scalars(
            select(Order).where(Order.owner_id == owner_id).order_by(Order.title)
        )
        return list(found)
'''

ORDER_ROUTES = """from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import CurrentUser, SessionDep
from app.schemas.order import OrderCreate, OrderRead
from app.services.order_service import OrderService

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def place_order(body: OrderCreate, user: CurrentUser, session: SessionDep) -> OrderRead:
    order = await OrderService(session).place(user.id, body.title)
    return OrderRead.model_validate(order)


@router.get("")
async def my_orders(user: CurrentUser, session: SessionDep) -> list[OrderRead]:
    return [OrderRead.model_validate(o) for o in await OrderService(session).placed_by(user.id)]
"""

ORDER_TESTS = """from __future__ import annotations

from httpx import AsyncClient


async def test_orders_are_placed_and_listed_for_their_owner(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    for title in ("tea", "coffee"):
        placed = await client.post("/api/v1/orders", json={"title": title}, headers=auth_headers)
        assert placed.status_code == 201, placed.text

    listed = await client.get("/api/v1/orders", headers=auth_headers)

    assert [order["title"] for order in listed.json()] == ["coffee", "tea"]


async def test_orders_need_a_signed_in_user(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/orders")).status_code == 401
"""

# v1.1.0 of the template: the users table gains a column (model and migration) and a router.
# Its revision follows the template's newest one, whatever that is when this runs.
_TEMPLATE_HEAD = max(
    int(path.name[:4])
    for path in (TEMPLATE_ROOT / "template/alembic/template_versions").glob("[0-9]*_*.py")
)
RELEASED_REVISION = f"{_TEMPLATE_HEAD + 1:04d}"
TEMPLATE_DISPLAY_NAME_REVISION = f'''"""users: display name

Revision ID: {RELEASED_REVISION}
Revises: {_TEMPLATE_HEAD:04d}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{RELEASED_REVISION}"
down_revision: str | Sequence[str] | None = "{_TEMPLATE_HEAD:04d}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("display_name")
'''

TEMPLATE_VERSION_ROUTES = """from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import SettingsDep

router = APIRouter(prefix="/version", tags=["version"])


@router.get("")
async def read_version(settings: SettingsDep) -> dict[str, str]:
    return {"version": settings.VERSION}
"""


def release_v1_1_0(template: TemplateRepo) -> None:
    template.edit(
        "template/app/models/user.py",
        lambda text: text.replace(
            "    hashed_password: Mapped[str] = mapped_column(String(255))\n",
            "    hashed_password: Mapped[str] = mapped_column(String(255))\n"
            "    display_name: Mapped[str | None] = mapped_column(String(100))\n",
        ),
    )
    released = f"template/alembic/template_versions/{RELEASED_REVISION}_users_display_name.py"
    (template.path / released).write_text(TEMPLATE_DISPLAY_NAME_REVISION)
    (template.path / "template/app/api/routes/version.py").write_text(TEMPLATE_VERSION_ROUTES)
    template.release("v1.1.0")


def add_orders(project: RenderedProject) -> None:
    """The documented way: a module in each package, then new-migration.sh; nothing registered."""
    path = project.path
    (path / "app/models/order.py").write_text(ORDER_MODEL)
    (path / "app/schemas/order.py").write_text(ORDER_SCHEMA)
    (path / "app/services/order_service.py").write_text(ORDER_SERVICE)
    (path / "app/api/routes/orders.py").write_text(ORDER_ROUTES)
    (path / "tests/test_api/test_orders.py").write_text(ORDER_TESTS)
    project.uv("run", "scripts/new-migration.sh", "add orders").check()
    [revision] = (path / "alembic/versions").glob("*_add_orders.py")
    written = revision.read_text()
    assert "op.create_table(" in written
    assert '"orders"' in written
    assert "branch_labels" in written
    commit_all(path, "orders")


def update_and_commit(project: RenderedProject, step: str, data: dict[str, Any]) -> None:
    update_project(project.path, "v1.1.0", data)
    assert_merged_cleanly(project.path, step)
    commit_all(project.path, step)


def applied_revisions_on(project: RenderedProject, database_url: str) -> str:
    env = {"DATABASE_URL": database_url}
    project.uv("run", "scripts/migrate.sh", env=env).check()
    project.uv("run", "alembic", "check", env=env).check()
    return project.uv("run", "alembic", "current", env=env).check().output


def assert_every_migration_applied(current: str, orders_revision: str) -> None:
    lines = current.splitlines()
    assert any(line.startswith(f"{RELEASED_REVISION} ") for line in lines), current
    assert any(line.startswith(f"{orders_revision} ") for line in lines), current


@pytest.mark.parametrize(
    ("answers", "toggled"),
    [({}, {"redis": True, "cache": True}), (ALL_ON, {"cache": False})],
    ids=["default", "all-on"],
)
def test_a_service_takes_releases_and_option_changes_without_merge_work(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    answers: dict[str, Any],
    toggled: dict[str, Any],
) -> None:
    template = TemplateRepo(tmp_path / "template-repo")
    template.release("v1.0.0")
    path = copy_project(template, tmp_path / "service", answers, "v1.0.0")
    project = RenderedProject(path, answers)
    project.sync()
    add_orders(project)
    [orders_file] = (path / "alembic/versions").glob("*_add_orders.py")
    orders_revision = orders_file.name.split("_", 1)[0]

    release_v1_1_0(template)
    update_and_commit(project, "update to v1.1.0", {})
    # The option that adds a router, turned one way and back.
    update_and_commit(project, "toggle a router option", toggled)
    restored = {name: answers.get(name, False) for name in toggled if name != "redis"}
    update_and_commit(project, "toggle it back", restored)

    # The template's change and the service's are both there, untouched by the merges.
    assert (path / "app/api/routes/orders.py").read_text() == ORDER_ROUTES
    assert (path / "app/models/order.py").read_text() == ORDER_MODEL
    assert (path / "app/api/routes/version.py").is_file()
    assert "display_name" in (path / "app/models/user.py").read_text()
    assert orders_file.is_file()

    project.sync()
    project.uv("run", "ruff", "check", ".").check()
    project.uv("run", "ruff", "format", "--check", ".").check()
    project.uv("run", "mypy").check()
    served = project.uv(
        "run",
        "python",
        "-c",
        "from app.main import create_app; print(sorted(create_app().openapi()['paths']))",
        env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'paths.db'}"},
    ).check()
    for route in ("/api/v1/orders", "/api/v1/version", "/api/v1/users/me", "/health"):
        assert f"'{route}'" in served.output, served.output

    # Every migration of both branches, no merge, on SQLite and on PostgreSQL.
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    assert_every_migration_applied(applied_revisions_on(project, sqlite_url), orders_revision)
    database = f"journey_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        server = postgres_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        current = applied_revisions_on(project, f"{server}/{database}")
        assert_every_migration_applied(current, orders_revision)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    # The service's suite, its orders tests included, on SQLite and on PostgreSQL.
    on_sqlite, on_postgresql = assert_suite_passes_on_both_databases(
        project, postgres_url, redis_url
    )
    orders = {test for test in on_sqlite.passed if "test_orders" in test}
    assert len(orders) == 2, sorted(on_sqlite.passed)
    assert orders <= on_postgresql.passed
