"""A service generated before roles and admins (issue 17) gets them with `copier update` and a
start: the template's role, items and refresh token migrations apply to a database that holds
users, its existing users become plain users, and the first admin comes from FIRST_SUPERUSER_*,
manages them and keeps a login session with refresh tokens."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.helpers import RenderedProject, extract_commit
from tests.scenarios import MINIMAL
from tests.services import postgres_database, production_environment, running_service
from tests.template_repo import (
    TemplateRepo,
    assert_merged_cleanly,
    commit_all,
    copy_project,
    git,
    update_project,
)

pytestmark = pytest.mark.deep

# The last commit of main before users had roles.
BEFORE_ROLES = "7efeceb"
RELEASE_BEFORE, RELEASE_WITH_ROLES = "v0.1.5", "v0.2.0"
ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "correct horse battery staple"
# What a user registered by the old service has in its row: the Argon2 hash of a password.
EARLY_USER_HASH = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$0Jbm4v3rVA9xKq7C2Bz1Fw"


def template_before_and_with_roles(path: Path) -> TemplateRepo:
    """The template at BEFORE_ROLES, tagged, then today's working tree tagged after it."""
    repo = TemplateRepo(path)
    today = git(repo.path, "rev-parse", "HEAD^{tree}").strip()
    git(repo.path, "checkout", "-q", "--orphan", "before-roles")
    git(repo.path, "rm", "-rfq", ".")
    extract_commit(BEFORE_ROLES, repo.path, "the template before roles")
    commit_all(repo.path, "before roles")
    git(repo.path, "tag", RELEASE_BEFORE)
    before = git(repo.path, "rev-parse", "HEAD").strip()
    with_roles = git(repo.path, "commit-tree", today, "-p", before, "-m", "roles").strip()
    git(repo.path, "checkout", "-q", "-B", "main", with_roles)
    git(repo.path, "tag", RELEASE_WITH_ROLES)
    return repo


def test_an_old_service_updates_to_roles_and_its_first_admin_manages_its_users(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    template = template_before_and_with_roles(tmp_path / "template-repo")
    path = copy_project(template, tmp_path / "service", MINIMAL, RELEASE_BEFORE)
    project = RenderedProject(path, MINIMAL)
    assert not (path / "app/models/role.py").exists()
    project.sync()
    commit_all(path, "lock the dependencies")  # a team commits its uv.lock
    with postgres_database(postgres_url) as database_url:
        env = {"DATABASE_URL": database_url}
        project.uv("run", "scripts/migrate.sh", env=env).check()
        early_id = uuid.uuid4()
        server, _, name = database_url.replace("+asyncpg", "").rpartition("/")
        with psycopg.connect(f"{server}/{name}", autocommit=True) as connection:
            connection.execute(
                "INSERT INTO users (id, email, username, hashed_password) VALUES (%s, %s, %s, %s)",
                (early_id, "early@example.com", "early", EARLY_USER_HASH),
            )

        update_project(path, RELEASE_WITH_ROLES)
        assert_merged_cleanly(path, "update to roles")
        commit_all(path, "update to roles")
        assert (path / "app/models/role.py").is_file()
        project.sync()

        production = production_environment(
            database_url,
            redis_url,
            f"tpl-{uuid.uuid4().hex[:12]}",
            FIRST_SUPERUSER_EMAIL=ADMIN_EMAIL,
            FIRST_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        )
        with (
            running_service(project, production) as base_url,
            httpx.Client(base_url=base_url, timeout=10) as client,
        ):
            login = client.post(
                "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            listed = client.get("/api/v1/users", headers=headers)
            assert listed.status_code == 200, listed.text
            roles = {user["username"]: user["role"] for user in listed.json()["items"]}
            assert roles == {"early": "user", "admin": "admin"}
            assert listed.json()["total"] == 2
            # The admin manages the user the old service registered.
            deactivated = client.patch(
                f"/api/v1/users/{early_id}", json={"is_active": False}, headers=headers
            )
            assert deactivated.status_code == 200, deactivated.text
            assert deactivated.json()["is_active"] is False
            # The owned resource came with the update too (template revision 0003).
            item = client.post("/api/v1/items", json={"title": "first"}, headers=headers)
            assert item.status_code == 201, item.text
            mine = client.get("/api/v1/items", headers=headers).json()
            assert (mine["total"], mine["items"][0]["title"]) == (1, "first")
            # Login sessions came too (template revision 0004): rotate, then end one.
            spent = login.json()["refresh_token"]
            rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": spent})
            assert rotated.status_code == 200, rotated.text
            replayed = client.post("/api/v1/auth/refresh", json={"refresh_token": spent})
            assert replayed.status_code == 401
            logout = client.post("/api/v1/auth/logout", json={"refresh_token": spent})
            assert logout.status_code == 204
        # A second start (the next release) finds the admin there and creates nothing.
        again = project.uv("run", "scripts/migrate.sh", env=production).check()
        assert "first admin created" not in again.output
        # Every table of issue 17 came with the update, the e-mail option's too (turned on later,
        # it needs no migration).
        with psycopg.connect(f"{server}/{name}") as connection:
            tables = {
                row[0]
                for row in connection.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            }
            verified = connection.execute(
                "SELECT count(*) FROM information_schema.columns"
                " WHERE table_name = 'users' AND column_name = 'email_verified_at'"
            ).fetchone()
        assert {"users", "items", "refresh_tokens", "one_time_tokens"} <= tables
        assert verified == (1,)
