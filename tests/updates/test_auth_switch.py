"""A service with users and their data switches `auth` with `copier update`, both ways, in
production: from its own accounts to an OpenID Connect provider's tokens and back. Both answers
share one Alembic history, so neither switch has a migration to run or leaves a revision the
database recorded without its file; the rows stay, and each answer serves the users it knows.

The provider is tests/provider.py's, on loopback over HTTPS (production refuses a plain-http
issuer), trusted through SSL_CERT_FILE: tokens signed RS256 and ES256 go end to end."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.helpers import RenderedProject
from tests.provider import loopback_provider
from tests.scenarios import MINIMAL
from tests.services import postgres_database, production_environment, running_service
from tests.template_repo import (
    TemplateRepo,
    assert_merged_cleanly,
    commit_all,
    copy_project,
    update_project,
)

pytestmark = pytest.mark.deep

RELEASE = "v1.0.0"
ALICE_PASSWORD = "quartz-otter-58-violet"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def switch(project: RenderedProject, auth: str) -> None:
    update_project(project.path, RELEASE, {"auth": auth})
    assert_merged_cleanly(project.path, f"auth={auth}")
    project.sync()
    commit_all(project.path, f"auth={auth}")  # with the lock file the answer's packages change


def test_a_service_with_data_switches_to_a_provider_and_back(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    template = TemplateRepo(tmp_path / "template-repo")
    template.release(RELEASE)
    path = copy_project(template, tmp_path / "service", {**MINIMAL, "auth": "builtin"}, RELEASE)
    project = RenderedProject(path, {**MINIMAL, "auth": "builtin"})
    project.sync()
    commit_all(path, "lock the dependencies")
    with (
        postgres_database(postgres_url) as database_url,
        loopback_provider(tmp_path) as provider,
    ):
        production = production_environment(
            database_url, redis_url, f"tpl-{uuid.uuid4().hex[:12]}", **provider.environment
        )
        project.uv("run", "scripts/migrate.sh", env=production).check()
        with (
            running_service(project, production) as base_url,
            httpx.Client(base_url=base_url, timeout=10) as client,
        ):
            registered = client.post(
                "/api/v1/auth/register",
                json={
                    "email": "alice@example.com",
                    "username": "alice",
                    "password": ALICE_PASSWORD,
                },
            )
            assert registered.status_code == 201, registered.text
            alice_id = registered.json()["id"]
            login = client.post(
                "/api/v1/auth/login", json={"username": "alice", "password": ALICE_PASSWORD}
            )
            assert login.status_code == 200, login.text
            item = client.post(
                "/api/v1/items",
                json={"title": "alice's notes"},
                headers=bearer(login.json()["access_token"]),
            )
            assert item.status_code == 201, item.text

        switch(project, "oidc")
        assert not (path / "app/api/routes/auth.py").exists()
        assert (path / "app/integrations/oidc/verifier.py").is_file()
        migrated = project.uv("run", "scripts/migrate.sh", env=production).check()
        assert "Running upgrade" not in migrated.output  # one history: nothing to run
        with (
            running_service(project, production) as base_url,
            httpx.Client(base_url=base_url, timeout=10) as client,
        ):
            ready = client.get("/health/detailed")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["oidc"]["status"] == "up", ready.text
            me = client.get("/api/v1/users/me", headers=bearer(provider.token("bob")))
            assert me.status_code == 200, me.text
            assert (me.json()["username"], me.json()["email"]) == ("bob", "bob@example.com")
            admin = bearer(provider.token("carol", admin=True, algorithm="ES256"))
            listed = client.get("/api/v1/users", headers=admin)
            assert listed.status_code == 200, listed.text
            users = {user["username"]: user["role"] for user in listed.json()["items"]}
            assert users == {"alice": "user", "bob": "user", "carol": "admin"}
            everyones = client.get("/api/v1/items", params={"all": "true"}, headers=admin)
            assert [i["title"] for i in everyones.json()["items"]] == ["alice's notes"]
            # The service keeps no passwords now: its login route is gone.
            gone = client.post(
                "/api/v1/auth/login", json={"username": "alice", "password": ALICE_PASSWORD}
            )
            assert gone.status_code == 404
            refused = client.get("/api/v1/users/me", headers=bearer("not-a-token"))
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'

        switch(project, "builtin")
        assert (path / "app/api/routes/auth.py").is_file()
        assert not (path / "app/integrations/oidc").exists()
        migrated = project.uv("run", "scripts/migrate.sh", env=production).check()
        assert "Running upgrade" not in migrated.output
        with (
            running_service(project, production) as base_url,
            httpx.Client(base_url=base_url, timeout=10) as client,
        ):
            login = client.post(
                "/api/v1/auth/login", json={"username": "alice", "password": ALICE_PASSWORD}
            )
            assert login.status_code == 200, login.text
            mine = client.get("/api/v1/items", headers=bearer(login.json()["access_token"]))
            assert [i["title"] for i in mine.json()["items"]] == ["alice's notes"]
            assert (
                client.get("/api/v1/users/me", headers=bearer(login.json()["access_token"])).json()[
                    "id"
                ]
                == alice_id
            )
            # A provider's user has no password here: refused like an unknown login.
            bob = client.post(
                "/api/v1/auth/login", json={"username": "bob", "password": ALICE_PASSWORD}
            )
            assert bob.status_code == 401
