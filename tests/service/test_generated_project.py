"""Deep tier: install a scenario, run its own suite against real PostgreSQL and Redis, migrate
it both ways, then start it as a user would and probe it over HTTP.

PostgreSQL and Redis must answer: their absence fails these tests, it never skips them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.generated_suite import SLOW_PROOFS_IN, assert_suite_passes_on_both_databases
from tests.helpers import (
    PRODUCTION_METRICS_TOKEN,
    PRODUCTION_SECRET_KEY,
    UV,
    RenderedProject,
)
from tests.provider import LoopbackProvider, loopback_provider
from tests.rendered_settings import settings_fields
from tests.scenarios import options_on
from tests.services import (
    postgres_database,
    production_environment,
    redis_namespace,
    running,
    running_service,
)

pytestmark = pytest.mark.deep

METRICS_TOKEN = PRODUCTION_METRICS_TOKEN
PASSWORD = "quartz-otter-58-violet"
ADMIN_PASSWORD = "first admin passphrase"


def test_generated_suite_passes_on_sqlite_and_its_database_tests_on_postgresql(
    installed_project: RenderedProject,
    postgres_url: str,
    redis_url: str,
    request: pytest.FixtureRequest,
) -> None:
    # Lint and strict types of these renders: tests/options/test_matrix.py (same trees, same
    # Python); other Pythons: tests/service/test_python_versions.py.
    scenario, _ = request.node.callspec.params["installed_project"]
    assert_suite_passes_on_both_databases(
        installed_project, postgres_url, redis_url, everyday=scenario not in SLOW_PROOFS_IN
    )


def _alembic_round_trip(project: RenderedProject, database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    project.uv("run", "alembic", "upgrade", "heads", env=env).check()
    project.uv("run", "alembic", "check", env=env).check()
    project.uv("run", "alembic", "downgrade", "base", env=env).check()
    project.uv("run", "scripts/migrate.sh", env=env).check()


def test_alembic_round_trip_on_sqlite(installed_project: RenderedProject, tmp_path: Path) -> None:
    _alembic_round_trip(installed_project, f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}")


def test_alembic_round_trip_on_postgresql(
    installed_project: RenderedProject, postgres_url: str
) -> None:
    with postgres_database(postgres_url) as database_url:
        _alembic_round_trip(installed_project, database_url)


def _register_and_login(client: httpx.Client) -> str:
    user = {"email": "probe@example.com", "username": "probe", "password": PASSWORD}
    registered = client.post("/api/v1/auth/register", json=user)
    assert registered.status_code == 201, registered.text
    assert client.post("/api/v1/auth/register", json=user).status_code == 409
    login = client.post("/api/v1/auth/login", json={"username": "probe", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.headers["cache-control"] == "no-store"
    token: str = login.json()["access_token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["id"] == registered.json()["id"]
    assert me.headers["x-request-id"]
    assert client.get("/api/v1/users/me").status_code == 401
    return token


def _provider_sign_in(client: httpx.Client, provider: LoopbackProvider) -> str:
    """auth=oidc: the provider's token lets its user in (created on first sight, the same user
    after), and the service has no password routes to try."""
    token = provider.token("probe")
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert (me.json()["username"], me.json()["email"]) == ("probe", "probe@example.com")
    assert me.headers["x-request-id"]
    again = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert again.json()["id"] == me.json()["id"]
    anonymous = client.get("/api/v1/users/me")
    assert (anonymous.status_code, anonymous.headers["www-authenticate"]) == (401, "Bearer")
    assert client.post("/api/v1/auth/login", json={"username": "probe"}).status_code == 404
    return token


def _probe_core(
    client: httpx.Client, on: set[str], provider: LoopbackProvider | None = None
) -> str:
    """The probes, readiness (every check up: with auth=oidc the provider on loopback serves
    its keys) and a signed-in caller's token."""
    assert client.get("/health").json() == {"status": "ok"}
    readiness = client.get("/health/detailed")
    checks = {"database"} | ({"redis", "oidc"} & on)
    assert set(readiness.json()["checks"]) == checks, readiness.text
    assert readiness.status_code == 200, readiness.text
    if "oidc" in on:
        assert provider is not None
        return _provider_sign_in(client, provider)
    return _register_and_login(client)


@contextmanager
def provider_for(on: set[str], directory: Path) -> Iterator[LoopbackProvider | None]:
    """With auth=oidc, the provider on loopback (tests/provider.py) while the service runs."""
    if "oidc" not in on:
        yield None
        return
    with loopback_provider(directory) as provider:
        yield provider


def _signed_token(claims: dict[str, Any], key: str) -> str:
    def segment(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = (
        segment(b'{"alg":"HS256","typ":"JWT"}') + b"." + segment(json.dumps(claims).encode())
    )
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + segment(signature)).decode()


def _probe_bad_provider_tokens(client: httpx.Client, provider: LoopbackProvider) -> None:
    """auth=oidc: a well-signed token with an expiry past any date, and one of another issuer,
    are 401 invalid_token, never a 500."""
    for token in (
        provider.token("probe", extra={"exp": 1e20}),
        provider.token("probe", extra={"iss": "https://elsewhere.example.test"}),
    ):
        me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401, me.text
        assert me.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def _probe_bad_input(client: httpx.Client, token: str) -> None:
    """What reached a 500 on PostgreSQL before: a NUL in the login name (asyncpg refuses it),
    on the JSON login and the OAuth2 form alike, and a well-signed token whose exp overflows a
    datetime. Two auth requests: the rate limit probe's budget (5/minute) still holds."""
    json_login = client.post(
        "/api/v1/auth/login", json={"username": "pro\x00be", "password": PASSWORD}
    )
    form_login = client.post(
        "/api/v1/auth/token", data={"username": "pro\x00be", "password": PASSWORD}
    )
    for response in (json_login, form_login):
        assert response.status_code == 422, response.text
        assert set(response.json()) == {"detail", "request_id"}
    subject = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    claims = {
        "sub": subject.json()["id"],
        "iat": int(time.time()),
        "exp": 1e20,
        "jti": uuid.uuid4().hex,
        "type": "access",
    }
    absurd = _signed_token(claims, PRODUCTION_SECRET_KEY)
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {absurd}"})
    assert me.status_code == 401, me.text
    assert me.headers["www-authenticate"] == "Bearer"


def _counter(text: str, route: str, status: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels == {
                "method": "GET",
                "route": route,
                "status": status,
            }:
                return sample.value
    return 0.0


def _probe_metrics(client: httpx.Client) -> None:
    scrape = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    before = _counter(client.get("/metrics", headers=scrape).text, "/health", "200")
    for _ in range(10):
        client.get("/health")
    after_text = client.get("/metrics", headers=scrape).text
    # Exactly 10 more whichever worker served each request and each scrape: the processes'
    # counts are added up (multiprocess mode).
    assert _counter(after_text, "/health", "200") - before == 10
    assert _counter(after_text, "/metrics", "200") == 0


def _probe_rate_limit(client: httpx.Client) -> None:
    credentials = {"username": "probe", "password": "WrongPass123"}
    # The test client is not a trusted proxy here: forged X-Forwarded-For entries buy nothing.
    statuses = [
        client.post(
            "/api/v1/auth/login", json=credentials, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        ).status_code
        for n in range(12)
    ]
    assert 429 in statuses, statuses
    limited = client.post("/api/v1/auth/login", json=credentials)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


def _probe_mail(client: httpx.Client) -> None:
    """Production accepts the mail routes; nothing listens on SMTP here, so the mails are only
    logged as not sent, after the answers went out."""
    for path in ("/api/v1/auth/password-reset", "/api/v1/auth/verify-email/request"):
        answered = client.post(path, json={"email": "someone@example.com"})
        assert (answered.status_code, answered.content) == (202, b"null"), answered.text
    refused = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": "x" * 43, "new_password": "a-long-new-passphrase"},
    )
    assert refused.status_code == 400, refused.text


def _probe_cache(client: httpx.Client, admin_token: str, user_token: str) -> None:
    report = "/api/v1/reports/users"
    as_admin = {"Authorization": f"Bearer {admin_token}"}
    assert client.get(report).status_code == 401
    assert client.get(report, headers={"Authorization": f"Bearer {user_token}"}).status_code == 403
    first = client.get(report, headers=as_admin)
    second = client.get(report, headers=as_admin)
    assert first.status_code == second.status_code == 200
    assert first.json()["generated_at"] == second.json()["generated_at"], "cache hit expected"
    # Keyed by the value the endpoint receives (the last of repeated ones), not by the raw query.
    last_false = client.get(f"{report}?active_only=true&active_only=false", headers=as_admin)
    last_true = client.get(f"{report}?active_only=false&active_only=true", headers=as_admin)
    assert (last_false.json()["active_only"], last_true.json()["active_only"]) == (False, True)
    junk = {f"junk{n}": "x" * 100 for n in range(50)}
    padded = client.get(report, params=junk, headers=as_admin)
    assert padded.json() == first.json(), "parameters the endpoint does not take share the entry"


def test_service_serves_in_development_on_embedded_sqlite(
    installed_project: RenderedProject, tmp_path: Path, redis_url: str
) -> None:
    on = options_on(installed_project.answers)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}", "REDIS_URL": redis_url}
    with (
        redis_namespace(redis_url) as prefix,
        provider_for(on, tmp_path) as provider,
        running_service(
            installed_project,
            {**env, "REDIS_KEY_PREFIX": prefix, **(provider.environment if provider else {})},
            log_format="console",
        ) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as client,
    ):
        _probe_core(client, on, provider)
        assert client.get("/docs").status_code == 200


def test_service_serves_in_production_on_postgresql_and_redis(
    installed_project: RenderedProject, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    on = options_on(installed_project.answers)
    with (
        postgres_database(postgres_url) as database_url,
        redis_namespace(redis_url) as prefix,
        provider_for(on, tmp_path) as provider,
    ):
        env = production_environment(
            database_url,
            redis_url,
            prefix,
            WEB_CONCURRENCY="2",
            # Exactly what the probes below spend before the rate-limit probe: the admin's
            # login, registering twice, logging in, and the two bad logins (auth=builtin: the
            # credential routes' limit, rate_limit_credentials; auth=oidc has no such routes).
            RATE_LIMIT_AUTH="6/minute",
            # A proxy that is not this test client: its X-Forwarded-For is not believed.
            FORWARDED_ALLOW_IPS="10.255.255.1",
            # The first admin, created by the start's migrations: the cache's report is theirs.
            FIRST_SUPERUSER_EMAIL="first-admin@example.com",
            FIRST_SUPERUSER_USERNAME="firstadmin",
            FIRST_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
            # With auth=oidc: the provider on loopback, over HTTPS as production requires.
            **(provider.environment if provider else {}),
        )
        with (
            running_service(installed_project, env) as base_url,
            httpx.Client(base_url=base_url, timeout=10) as client,
        ):
            if provider is not None:
                # An admin is whoever the provider's token says holds the admin role.
                admin_token = provider.token("firstadmin", admin=True, algorithm="ES256")
            else:
                admin = client.post(
                    "/api/v1/auth/login",
                    json={"username": "firstadmin", "password": ADMIN_PASSWORD},
                )
                assert admin.status_code == 200, admin.text
                admin_token = admin.json()["access_token"]
            token = _probe_core(client, on, provider)
            _probe_edge(client, token)
            assert client.get("/docs").status_code == 404
            assert client.get("/openapi.json").status_code == 404
            assert client.get("/health").headers["strict-transport-security"].startswith("max-age=")
            if provider is not None:
                _probe_bad_provider_tokens(client, provider)
            else:
                _probe_bad_input(client, token)
            if "metrics" in on:
                _probe_metrics(client)
            if "cache" in on:
                _probe_cache(client, admin_token, token)
            # RATE_LIMIT_AUTH above is spent by the core probes: the mail routes are probed in
            # production by the email scenario (rate limiting off), fuzzed in all-on.
            if "email" in on and "rate_limit_credentials" not in on:
                _probe_mail(client)
            if "worker" in on:
                _probe_worker(installed_project, client, token, env)
            # Its budget is the password routes' (RATE_LIMIT_AUTH): auth=oidc has none.
            if "rate_limit_credentials" in on:
                _probe_rate_limit(client)


def _probe_edge(client: httpx.Client, token: str) -> None:
    """Only ALLOWED_HOSTS are answered, nothing redirects, credentials are never cached."""
    foreign = {"Host": "evil.example.net"}
    refused = client.get("/api/v1/users/me", headers=foreign)
    assert refused.status_code == 400, refused.text
    assert refused.json()["detail"] == "Invalid host header"
    assert client.get("/health", headers=foreign).status_code == 200  # probes reach pods by address
    slash = client.get("/api/v1/users/me/", headers={"Authorization": f"Bearer {token}"})
    assert slash.status_code == 404
    assert "location" not in slash.headers
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.headers["cache-control"] == "no-store"


def _probe_worker(
    project: RenderedProject, client: httpx.Client, token: str, env: dict[str, str]
) -> None:
    request_id = "probe-worker-request"
    with running(project, [UV, "run", "scripts/worker.sh"], env) as run:
        worker = run.process
        queued = client.post(
            "/api/v1/notifications",
            json={"subject": "Probe", "body": "Sent through the real queue."},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
        )
        assert queued.status_code == 202, queued.text
        deadline = time.monotonic() + 60
        delivered = ""
        while time.monotonic() < deadline and "notification delivered" not in delivered:
            line = worker.stdout.readline() if worker.stdout else ""
            if not line and worker.poll() is not None:
                break
            delivered += line
        assert "notification delivered" in delivered, delivered[-3000:]
        # The worker logs JSON lines like the API, with the id of the request that enqueued.
        [delivery] = [
            json.loads(line)
            for line in delivered.splitlines()
            if line.startswith("{") and "notification delivered" in line
        ]
        assert delivery["request_id"] == request_id, delivery
    # `uv run` forwarded the SIGTERM: a graceful stop, status 0.
    assert worker.returncode == 0, run.output[-3000:]
    assert '"message": "worker stopped"' in run.output, run.output[-3000:]


def _refused_names(output: str) -> set[str]:
    """The variables a refusal with several problems names, one line each."""
    heading = "configuration error: invalid production configuration, "
    refusal = output[output.rindex(heading) :].splitlines()
    count = int(refusal[0].removeprefix(heading).split(" ", 1)[0])
    lines = refusal[1 : 1 + count]
    assert all(line.startswith("  - ") for line in lines), refusal
    return {line.removeprefix("  - ").split(" ", 1)[0] for line in lines}


def test_a_first_production_start_names_every_variable_the_after_copy_message_listed(
    installed_project: RenderedProject,
) -> None:
    """Started as the README says, with ENVIRONMENT=production and nothing else set (the
    shipped .env.production's placeholders are read): one refusal names every variable, and
    they are those the after-copy message told the user to set."""
    listed = set(re.findall(r"^  - ([A-Z][A-Z0-9_]*)$", installed_project.message_after_copy, re.M))
    # Empty counts as unset: nothing the test runner's environment holds is read.
    unset = dict.fromkeys(settings_fields(installed_project.path, installed_project.answers), "")
    starts: list[dict[str, str]] = [{}]
    if "metrics" in options_on(installed_project.answers):
        # Several processes: gunicorn's arbiter reads only the core's settings (importing the
        # integrations would create the metrics collectors before the workers fork) and names
        # everything when refused.
        starts.append({"WEB_CONCURRENCY": "2", "MIGRATE_ON_START": "false"})
    for start in starts:
        result = installed_project.uv(
            "run", "scripts/start.sh", env={**unset, "ENVIRONMENT": "production", **start}
        )

        assert result.returncode != 0, result.output[-3000:]
        assert "Traceback" not in result.output, result.output[-6000:]
        assert _refused_names(result.output) == listed, (start, result.output[-3000:])


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"ALLOWED_ORIGINS": ""}, "ALLOWED_ORIGINS"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"FORWARDED_ALLOW_IPS": "*"}, "FORWARDED_ALLOW_IPS"),
        ({"SECRET_KEY": "a" * 48}, "SECRET_KEY"),
        # Migrations off: the app itself refuses this one (scripts/migrate.sh would too).
        ({"METRICS_TOKEN": "", "MIGRATE_ON_START": "false"}, "METRICS_TOKEN"),
        # Links with tokens over plain http to another host.
        (
            {"EMAIL_LINK_BASE_URL": "http://app.example.com", "MIGRATE_ON_START": "false"},
            "EMAIL_LINK_BASE_URL",
        ),
    ],
)
def test_production_refuses_to_start_with_a_one_line_error(
    installed_project: RenderedProject, env: dict[str, str], variable: str
) -> None:
    # Nothing answers at these addresses: the start must stop at the settings.
    complete = production_environment(
        "postgresql://app@127.0.0.1:1/app", "redis://127.0.0.1:1/0", "refusals"
    )
    needs = {
        "SECRET_KEY": "accounts",
        "METRICS_TOKEN": "metrics",
        "EMAIL_LINK_BASE_URL": "email",
    }.get(variable)
    if needs and needs not in options_on(installed_project.answers):
        pytest.skip(f"{needs} is off: no {variable} to require")
    result = installed_project.uv("run", "scripts/start.sh", env={**complete, **env})

    assert result.returncode != 0
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith("configuration error: invalid production configuration:")
    assert variable in last_line
    assert "Traceback" not in result.output
    assert PRODUCTION_SECRET_KEY not in result.output


# Run in a render from an empty folder (no dotenv file): production settings built from the
# shipped values, each deployer's variable in turn left as shipped while every other one holds
# a real value. Prints {variable: the refusal, or null if it started}.
SHIPPED_VALUES_CHECK = """
import json, os, sys
sys.path.insert(0, os.getcwd())
shipped, real = json.loads(sys.argv[2]), json.loads(sys.argv[3])
os.chdir(sys.argv[1])
from app.bootstrap.settings import AppSettings
from app.core.config_loading import ConfigurationError, load_settings
for name in AppSettings.model_fields:
    os.environ.pop(name, None)
def refusal(environment):
    os.environ.update(environment)
    try:
        load_settings("production", AppSettings)
    except ConfigurationError as error:
        return str(error)
    finally:
        for name in environment:
            os.environ.pop(name)
    return None
checks = {"": refusal({**shipped, **real})}
for name in real:
    if name in shipped:
        checks[name] = refusal({**shipped, **{k: v for k, v in real.items() if k != name}})
print(json.dumps(checks))
"""


def test_production_refuses_every_value_the_kubernetes_manifests_ship(
    installed_project: RenderedProject, tmp_path: Path
) -> None:
    """deploy/kubernetes/ ships no value production accepts in place of the deployer's: the
    ConfigMap's empty required settings and its trusted-proxy placeholder, and the example
    Secret's placeholders, are each refused by the service itself, naming the variable."""
    if "kubernetes" not in options_on(installed_project.answers):
        pytest.skip("deploy=none: no manifests")
    root = installed_project.path / "deploy" / "kubernetes"
    [config] = [d for d in yaml.safe_load_all((root / "configmap.yaml").read_text()) if d]
    [secret] = [d for d in yaml.safe_load_all((root / "secret.example.yaml").read_text()) if d]
    shipped = {**config["data"], **secret["stringData"]}
    real = {
        "ALLOWED_ORIGINS": "https://app.example.com",
        "ALLOWED_HOSTS": "api.example.com",
        "FORWARDED_ALLOW_IPS": "10.1.0.0/16",
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        "REDIS_URL": "redis://:a-real-password@redis.internal:6379/0",
        "METRICS_TOKEN": METRICS_TOKEN,
        "SMTP_HOST": "smtp.example.net",
        "EMAIL_FROM": "noreply@app.example.com",
        "EMAIL_LINK_BASE_URL": "https://app.example.com",
        "DATABASE_URL": "postgresql://app:a-real-password@db.internal:5432/app",
        "OIDC_ISSUER_URL": "https://login.example.com/realms/service",
        "OIDC_AUDIENCE": "service-api",
    }
    checked = set(real)

    result = installed_project.uv(
        "run",
        "python",
        "-c",
        SHIPPED_VALUES_CHECK,
        str(tmp_path),
        json.dumps(shipped),
        json.dumps(real),
    ).check()
    refusals = json.loads(result.output.strip().splitlines()[-1])

    assert refusals.pop("") is None  # the real values start it
    assert set(refusals) == checked & set(shipped)
    assert {"ALLOWED_ORIGINS", "ALLOWED_HOSTS", "FORWARDED_ALLOW_IPS", "DATABASE_URL"} <= set(
        refusals
    )
    # The service's own accounts sign with a key of the deployer's; a provider's tokens need none.
    assert ("SECRET_KEY" in refusals) == ("accounts" in options_on(installed_project.answers))
    for name, refusal in refusals.items():
        assert name in (refusal or ""), (name, refusal)
