"""The feature table: every optional part of a rendered service, declared once.

A `Feature` says when the answers turn it on (`when`), which answers show it on (`example`),
and everything shared files need from it: dependencies, its integration module and wiring order,
its settings class, compose and CI services, Kubernetes facts, test plugins and test values, and
the shared files whose text it changes. What the template's own files already say is read from
them (sources.py), never repeated here: the files a feature owns are the paths of template/
whose conditional names test it, and its settings are the fields of its settings class.
extensions/context.py turns the enabled features into the render's context; the template's
tests and the docs read this table instead of repeating it.

Adding an option: its question in copier.yml, one `Feature` here, its own files (conditional
names, a settings class whose fields have descriptions), its paragraph in docs/options.md, and
the shared files its behaviour changes, listed in its `shared_files` (a test checks the list).
Nothing else names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .sources import Setting, class_settings, core_production_required, feature_files

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class CIService:
    """A container the generated CI starts beside the tests, and how the tests find it."""

    name: str
    image: str
    port: str
    health: str
    variable: str
    url: str  # "{host}" is replaced by the host the CI job reaches the service on
    environment: Mapping[str, str] = field(default_factory=dict)  # the container's


@dataclass(frozen=True)
class MemoryVolume:
    """An in-memory emptyDir mounted into the API pods, its path exported in `variable`."""

    name: str
    variable: str
    path: str
    doc: str


@dataclass(frozen=True)
class Egress:
    """A destination some of the service's pods connect to, opened by a NetworkPolicy
    (deploy/kubernetes/networkpolicy.yaml) at the address the deployer sets there.

    `pods`: the components that connect (api, worker, migrate); a later feature's destination
    of the same name replaces an earlier one's (mail leaves from the worker when it sends it).
    """

    name: str
    port: int
    pods: tuple[str, ...]
    doc: str


@dataclass(frozen=True)
class Feature:
    name: str
    summary: str
    # The answers that turn it on; they are complete when a file is rendered.
    when: Callable[[Answers], bool]
    # Answers on top of all-off that turn it on, with what it needs (tests and docs use them).
    example: Answers
    # Files of the render outside its own (the core's, another feature's) whose text tests it
    # with `'<name>' in features` (tests/options/test_features.py checks the list both ways).
    shared_files: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    dev_dependencies: tuple[str, ...] = ()
    # Module exposing `install(app, settings)`; wired after the enabled features named in `after`,
    # otherwise by name, so the order never depends on this table's.
    integration: str | None = None
    after: tuple[str, ...] = ()
    # "module:Class" of its settings, joined into the app's one settings class.
    settings_class: str | None = None
    # "module:Class" of the settings the worker process loads to run its code (the worker reads
    # no other settings: deployments hand it only these secrets).
    worker_settings_class: str | None = None
    # Values the generated tests give its settings (Python expressions, e.g. to reach the test
    # Redis), and those they add where they load production settings: values production
    # requires that the test environment itself leaves unset.
    test_environment: Mapping[str, str] = field(default_factory=dict)
    production_test_environment: Mapping[str, str] = field(default_factory=dict)
    # Modules of app/api/routes/ the feature owns (found and served like the service's own).
    routes: tuple[str, ...] = ()
    # gunicorn server hook name -> module defining a function of that name.
    server_hooks: Mapping[str, str] = field(default_factory=dict)
    # Modules under tests/ loaded as pytest plugins (the feature's shared fixtures).
    test_plugins: tuple[str, ...] = ()
    # Compose: services it runs beside the app, the app's environment with them, and processes
    # of the app's own image (name -> command), which get the app's environment and image.
    compose_services: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    compose_environment: Mapping[str, str] = field(default_factory=dict)
    compose_processes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ci_services: tuple[CIService, ...] = ()
    # deploy/kubernetes/: manifests listed in the kustomization, and the API pods' volumes.
    kubernetes_manifests: tuple[str, ...] = ()
    kubernetes_memory_volumes: tuple[MemoryVolume, ...] = ()
    kubernetes_egress: tuple[Egress, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        """Paths in the render that exist only with this feature: those whose conditional name
        in template/ tests it."""
        return feature_files().get(self.name, ())

    @property
    def settings(self) -> tuple[Setting, ...]:
        """The environment variables its settings class declares, as its fields describe them."""
        return class_settings(self.settings_class) if self.settings_class else ()

    @property
    def worker_settings(self) -> tuple[Setting, ...]:
        """Those of them the worker process reads."""
        return class_settings(self.worker_settings_class) if self.worker_settings_class else ()


REDIS_TEST_URL = 'env("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")'
# Letters and digits: it is written into REDIS_URL as is.
REDIS_PASSWORD = "${REDIS_PASSWORD:?set REDIS_PASSWORD to 16+ random letters and digits}"
SMTP_EGRESS = Egress(
    name="smtp",
    port=587,
    pods=("api",),
    doc="your SMTP relay (SMTP_HOST; the port is SMTP_PORT's: 587 submission, 465 TLS)",
)

FEATURES: tuple[Feature, ...] = (
    Feature(
        name="redis",
        summary="Redis client (redis.asyncio) owned by the lifespan, with a readiness check",
        when=lambda a: bool(a["redis"]),
        example={"redis": True},
        shared_files=("README.md", "deploy/kubernetes/deployment.yaml"),
        # hiredis: redis-py parses replies in C, a third less CPU per call (every rate-limited
        # request makes one).
        dependencies=("redis>=8.1,<9", "hiredis>=3.2,<4"),
        integration="app.integrations.redis",
        settings_class="app.integrations.redis:RedisSettings",
        worker_settings_class="app.integrations.redis:RedisSettings",
        test_environment={"REDIS_URL": REDIS_TEST_URL, "REDIS_KEY_PREFIX": 'f"test-{RUN_ID}"'},
        test_plugins=("tests.plugins.redis_server",),
        compose_services={
            "redis": {
                "image": "redis:7-alpine",
                # Every client authenticates (REDIS_URL carries the password).
                "command": [
                    "redis-server",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--requirepass",
                    REDIS_PASSWORD,
                ],
                # redis-cli (the health check) reads the password from REDISCLI_AUTH.
                "environment": {"REDISCLI_AUTH": REDIS_PASSWORD},
                "healthcheck": {
                    "test": ["CMD", "redis-cli", "ping"],
                    "interval": "5s",
                    "timeout": "3s",
                    "retries": 10,
                },
                "restart": "unless-stopped",
                "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "256M"}}},
            }
        },
        compose_environment={"REDIS_URL": f"redis://:{REDIS_PASSWORD}@redis:6379/0"},
        kubernetes_egress=(
            Egress(name="redis", port=6379, pods=("api", "worker"), doc="your Redis (REDIS_URL)"),
        ),
        ci_services=(
            CIService(
                name="redis",
                image="redis:7-alpine",
                port="6379",
                health="redis-cli ping",
                variable="TEST_REDIS_URL",
                url="redis://{host}:6379/0",
            ),
        ),
    ),
    Feature(
        name="cache",
        summary="Response caching in Redis (`@cached(ttl_seconds=...)`), bypassed when Redis is "
        "down",
        when=lambda a: bool(a["cache"]),
        example={"redis": True, "cache": True},
        shared_files=("README.md",),
        integration="app.integrations.cache",
        after=("redis",),  # its lifespan uses the Redis client
        settings_class="app.integrations.cache:CacheSettings",
        routes=("reports",),
    ),
    Feature(
        name="rate_limit",
        summary="Per-client sliding-window rate limits: a default on every route, and "
        "stricter ones other features set on their paths",
        when=lambda a: a["rate_limit"] != "off",
        example={"rate_limit": "memory"},
        # limits: only its parser of the settings' notation ("120/minute"); the counting is
        # the template's own.
        dependencies=("limits>=5.8,<6",),
        integration="app.integrations.rate_limit",
        after=("redis",),  # the Redis counters use the Redis client
        settings_class="app.integrations.rate_limit:RateLimitSettings",
        # The rate-limit tests turn it on; the others log in freely.
        test_environment={"RATE_LIMIT_ENABLED": '"false"'},
    ),
    Feature(
        name="rate_limit_redis",
        summary="Rate-limit counters in Redis (one script call a request), shared by every "
        "worker and replica",
        when=lambda a: a["rate_limit"] == "redis",
        example={"redis": True, "rate_limit": "redis"},
        shared_files=("README.md",),
    ),
    Feature(
        name="rate_limit_credentials",
        summary="A stricter limit on the endpoints that take a password (login, token, "
        "registration, refresh, reset, password change), kept closed when the counters fail",
        when=lambda a: a["rate_limit"] != "off" and a["auth"] == "builtin",
        example={"rate_limit": "memory"},
        shared_files=("README.md",),
        integration="app.integrations.rate_limit_credentials",
        after=("rate_limit",),  # adds its limit to the limiter's
        settings_class="app.integrations.rate_limit_credentials:CredentialRateLimitSettings",
    ),
    Feature(
        name="metrics",
        summary="Prometheus /metrics: requests and latency by route template, multiprocess-safe",
        when=lambda a: bool(a["metrics"]),
        example={"metrics": True},
        shared_files=(
            "README.md",
            "deploy/kubernetes/README.md",
            "deploy/kubernetes/networkpolicy.yaml",
        ),
        dependencies=("prometheus-client>=0.21",),
        integration="app.integrations.metrics",
        after=("rate_limit",),  # its middleware wraps the limiter's, so 429s are counted
        settings_class="app.integrations.metrics:MetricsSettings",
        production_test_environment={"METRICS_TOKEN": '"test-metrics-token-" + RUN_ID'},
        # A worker that exits leaves its files in PROMETHEUS_MULTIPROC_DIR; its live gauges go.
        server_hooks={"child_exit": "app.integrations.metrics_processes"},
        compose_environment={
            "METRICS_TOKEN": "${METRICS_TOKEN:?set METRICS_TOKEN to 16+ random characters}",
        },
        kubernetes_memory_volumes=(
            MemoryVolume(
                name="prometheus",
                variable="PROMETHEUS_MULTIPROC_DIR",
                path="/run/prometheus",
                doc="prometheus_client's multiprocess files, on the emptyDir below (tmpfs).",
            ),
        ),
    ),
    Feature(
        name="sentry",
        summary="Sentry error reporting, initialised only when SENTRY_DSN is set; no PII",
        when=lambda a: bool(a["sentry"]),
        example={"sentry": True},
        dependencies=("sentry-sdk>=2.75,<3",),
        integration="app.integrations.sentry",
        settings_class="app.integrations.sentry:SentrySettings",
        kubernetes_egress=(
            Egress(name="sentry", port=443, pods=("api",), doc="your Sentry (SENTRY_DSN's host)"),
        ),
    ),
    Feature(
        name="tracing",
        summary="OpenTelemetry traces (FastAPI, SQLAlchemy, Redis) over OTLP, trace id in logs",
        when=lambda a: bool(a["tracing"]),
        example={"tracing": True},
        dependencies=(
            "opentelemetry-sdk>=1.30,<2",
            "opentelemetry-exporter-otlp-proto-http>=1.30,<2",
            "opentelemetry-instrumentation-fastapi>=0.51b0",
            "opentelemetry-instrumentation-sqlalchemy>=0.51b0",
        ),
        integration="app.integrations.tracing",
        settings_class="app.integrations.tracing:TracingSettings",
        kubernetes_egress=(
            Egress(
                name="otlp",
                port=4318,
                pods=("api",),
                doc="your OpenTelemetry collector (OTEL_EXPORTER_OTLP_ENDPOINT, OTLP/HTTP)",
            ),
        ),
    ),
    Feature(
        name="tracing_redis",
        summary="Redis commands appear as spans",
        when=lambda a: bool(a["tracing"] and a["redis"]),
        example={"tracing": True, "redis": True},
        shared_files=("README.md",),
        dependencies=("opentelemetry-instrumentation-redis>=0.51b0",),
        integration="app.integrations.tracing_redis",
        after=("redis", "tracing"),  # instruments the client under tracing's provider
    ),
    Feature(
        name="worker",
        summary="Taskiq worker on a Redis stream: tasks, an enqueue endpoint, a compose service",
        when=lambda a: a["worker"] != "none",
        example={"redis": True, "worker": "taskiq"},
        shared_files=("README.md", "deploy/kubernetes/README.md"),
        # 0.12: the receiver's wait_tasks_timeout, the worker's grace period.
        dependencies=("taskiq>=0.12,<1", "taskiq-redis>=1.0,<2"),
        integration="app.integrations.worker.client",
        after=("redis",),  # its settings extend Redis's, and its broker uses Redis
        settings_class="app.integrations.worker.settings:WorkerSettings",
        worker_settings_class="app.integrations.worker.settings:WorkerSettings",
        routes=("notifications",),
        compose_processes={"worker": ("scripts/worker.sh",)},
    ),
    Feature(
        name="email",
        summary="E-mail over SMTP (aiosmtplib): password reset and address verification by "
        "mail, sent off the request with retries (by the worker when it is on)",
        when=lambda a: bool(a["email"]),
        example={"email": True},
        shared_files=("README.md",),
        dependencies=("aiosmtplib>=5,<6",),
        dev_dependencies=("aiosmtpd>=1.4,<2",),
        integration="app.integrations.email.integration",
        # With the worker, its outbox queues mails on the worker's broker; its settings say
        # when logins wait for a verified address, over the accounts' (wired later, listed
        # earlier in AppSettings).
        after=("worker", "accounts"),
        settings_class="app.integrations.email.settings:EmailSettings",
        # SMTP_HOST: the suite's own SMTP server (tests/plugins/smtp_server.py); EMAIL_FROM named
        # as production requires, so the worker starts in production with the run's values.
        test_environment={
            "SMTP_HOST": '"127.0.0.1"',
            "EMAIL_FROM": '"noreply@app.example.com"',
            "EMAIL_RETRY_DELAY_SECONDS": '"0"',
        },
        production_test_environment={"EMAIL_LINK_BASE_URL": '"https://app.example.com"'},
        routes=("auth_mail",),
        test_plugins=("tests.plugins.smtp_server",),
        kubernetes_egress=(SMTP_EGRESS,),
        # Production's relay and links are the deployer's (development's defaults are Mailpit
        # on this machine and local links).
        compose_environment={
            "SMTP_HOST": "${SMTP_HOST:?set SMTP_HOST to your SMTP relay}",
            "SMTP_PORT": "${SMTP_PORT:-587}",
            "SMTP_TLS": "${SMTP_TLS:-starttls}",
            "SMTP_USERNAME": "${SMTP_USERNAME:-}",
            "SMTP_PASSWORD": "${SMTP_PASSWORD:-}",
            "EMAIL_FROM": "${EMAIL_FROM:?set EMAIL_FROM to the sender address of your mails}",
            "EMAIL_LINK_BASE_URL": (
                "${EMAIL_LINK_BASE_URL:?set EMAIL_LINK_BASE_URL to your frontend's https URL}"
            ),
        },
    ),
    Feature(
        name="email_worker",
        summary="Mail sent by the worker: its `send_mail` task (app/integrations/email/tasks.py)",
        when=lambda a: bool(a["email"]) and a["worker"] != "none",
        example={"email": True, "redis": True, "worker": "taskiq"},
        shared_files=("README.md",),
        # The API composes each mail; the worker only sends it.
        worker_settings_class="app.integrations.email.settings:SmtpSettings",
        kubernetes_egress=(replace(SMTP_EGRESS, pods=("worker",)),),
    ),
    Feature(
        name="accounts",
        summary="The service's own accounts: registration, password logins, rotated refresh "
        "tokens, password changes, the first admin; Argon2id hashes, its own signed access tokens",
        when=lambda a: a["auth"] == "builtin",
        example={"auth": "builtin"},
        shared_files=(
            "README.md",
            ".env.development",
            "app/bootstrap/migrate.py",
            "deploy/kubernetes/README.md",
            "deploy/kubernetes/migrate/job.yaml",
        ),
        integration="app.integrations.accounts.integration",
        settings_class="app.integrations.accounts.settings:AccountSettings",
        # A key the template publishes (production refuses it), and hashing cheap enough for a
        # suite that registers hundreds of users.
        test_environment={
            "SECRET_KEY": '"test-only-key-0123456789abcdef0123456789abcdef"',
            "PASSWORD_HASH_TIME_COST": '"1"',
            "PASSWORD_HASH_MEMORY_COST_KIB": '"1024"',
            "PASSWORD_HASH_PARALLELISM": '"1"',
        },
        # Production refuses the test key: a random one per run.
        production_test_environment={"SECRET_KEY": "secrets.token_urlsafe(48)"},
        test_plugins=("tests.plugins.accounts",),
        compose_environment={
            "SECRET_KEY": "${SECRET_KEY:?set SECRET_KEY to 32+ random characters}",
        },
    ),
    Feature(
        name="oidc",
        summary="Bearer access tokens from your OpenID Connect provider (Keycloak, Auth0, Entra "
        "ID...): issuer metadata and signing keys cached per process, refreshed at a bounded rate",
        when=lambda a: a["auth"] == "oidc",
        # Mail flows need the service's own passwords (copier.yml refuses email with oidc).
        example={"auth": "oidc", "email": False},
        # Its users may have no address, username or password: the model's types say so.
        shared_files=("README.md", "app/api/deps.py", "app/models/user.py"),
        # PyJWT with `cryptography`: RSA and EC signatures; httpx fetches the issuer's metadata
        # and keys.
        dependencies=("pyjwt[crypto]>=2.10,<3", "httpx>=0.28"),
        integration="app.integrations.oidc.integration",
        settings_class="app.integrations.oidc.settings:OidcSettings",
        # The tests' provider stand-in (tests/plugins/oidc_provider.py) answers for this issuer
        # in-process: the suite never leaves the machine.
        test_environment={
            "OIDC_ISSUER_URL": '"https://login.example.test/realms/service"',
            "OIDC_AUDIENCE": '"service-api"',
            # The role the stand-in's admins carry (tests/plugins/oidc_provider.py).
            "OIDC_ADMIN_ROLES": '"service-admin"',
        },
        test_plugins=("tests.plugins.oidc_provider",),
        # Compose runs the API in production: the provider is the deployer's (https, refused
        # otherwise), and so is the audience it writes into the tokens.
        compose_environment={
            "OIDC_ISSUER_URL": (
                "${OIDC_ISSUER_URL:?set OIDC_ISSUER_URL to your provider's https issuer URL}"
            ),
            "OIDC_AUDIENCE": (
                "${OIDC_AUDIENCE:?set OIDC_AUDIENCE to the audience your provider gives this API}"
            ),
            "OIDC_CLIENT_ID": "${OIDC_CLIENT_ID:-}",
            "OIDC_ROLES_CLAIM": "${OIDC_ROLES_CLAIM:-roles}",
            "OIDC_ADMIN_ROLES": "${OIDC_ADMIN_ROLES:-}",
        },
        # A local Keycloak for development, started only with `--profile keycloak` (or by
        # naming the service): realm `service` from keycloak/realm.json, so the settings'
        # development defaults (http://localhost:8080/realms/service, audience = the slug) match
        # it. Dev-only: its database lives in the container, the admin password comes from
        # the environment with a dev default, and it is published on this machine's loopback
        # only. No health check: nothing waits for it (the API fetches keys on first use;
        # readiness `oidc` fails until then), and no service outside the profile may depend
        # on it.
        compose_services={
            "keycloak": {
                "image": "quay.io/keycloak/keycloak:26.4",
                "profiles": ["keycloak"],
                "command": ["start-dev", "--import-realm"],
                "environment": {
                    "KC_BOOTSTRAP_ADMIN_USERNAME": "${KEYCLOAK_ADMIN_USERNAME:-admin}",
                    "KC_BOOTSTRAP_ADMIN_PASSWORD": "${KEYCLOAK_ADMIN_PASSWORD:-admin}",
                    # The issuer is the URL each request used (hostname v2, no KC_HOSTNAME):
                    # the API checks the metadata it fetches from OIDC_ISSUER_URL against that
                    # same URL, so whatever one URL the browser and the API share is the issuer.
                    # http://localhost:8080 when the API runs on this machine; from a container,
                    # http://keycloak.localhost:8080 (the alias below, which browsers resolve
                    # to this machine's loopback). docs/oidc.md explains the choice.
                    "KC_HOSTNAME_STRICT": "false",
                },
                "ports": ["127.0.0.1:8080:8080"],
                "networks": {"default": {"aliases": ["keycloak.localhost"]}},
                "volumes": ["./keycloak/realm.json:/opt/keycloak/data/import/realm.json:ro"],
                "deploy": {"resources": {"limits": {"cpus": "1", "memory": "1G"}}},
            }
        },
        kubernetes_egress=(
            Egress(
                name="oidc",
                port=443,
                pods=("api",),
                doc="your OpenID Connect provider (OIDC_ISSUER_URL's host and its keys' host)",
            ),
        ),
    ),
    Feature(
        name="ci_github",
        summary="GitHub Actions workflows (checks; template updates as pull requests), audited "
        "by zizmor, and grouped Dependabot updates with a cooldown",
        when=lambda a: a["ci"] == "github",
        example={"ci": "github"},
        shared_files=("README.md",),
        dev_dependencies=("zizmor>=1.32",),
    ),
    Feature(
        name="ci_gitlab",
        summary="GitLab CI pipeline (checks; scheduled template updates as merge requests) and "
        "grouped Renovate updates with a minimum release age",
        when=lambda a: a["ci"] == "gitlab",
        example={"ci": "gitlab"},
        shared_files=("README.md",),
    ),
    Feature(
        name="template_updates",
        summary="scripts/template_update.py: `copier update` on a branch, opened as a pull or "
        "merge request by the CI's scheduled job",
        when=lambda a: a["ci"] != "none",
        example={"ci": "github"},
        shared_files=("README.md",),
    ),
    Feature(
        name="kubernetes",
        summary="Kubernetes manifests in deploy/kubernetes/ (kustomize): Deployment, Service, "
        "HPA, PodDisruptionBudget, ConfigMap, NetworkPolicies, a migration Job, Secret references",
        when=lambda a: a["deploy"] == "kubernetes",
        example={"deploy": "kubernetes"},
        kubernetes_manifests=(
            "configmap.yaml",
            "deployment.yaml",
            "hpa.yaml",
            "networkpolicy.yaml",
            "pdb.yaml",
            "service.yaml",
        ),
    ),
    Feature(
        name="kubernetes_metrics",
        summary="A Prometheus Operator PodMonitor scraping /metrics with METRICS_TOKEN from the "
        "Secret (deploy/kubernetes/monitoring/, its own kustomization)",
        when=lambda a: a["deploy"] == "kubernetes" and bool(a["metrics"]),
        example={"deploy": "kubernetes", "metrics": True},
        shared_files=("deploy/kubernetes/kustomization.yaml",),
    ),
    Feature(
        name="kubernetes_worker",
        summary="The taskiq worker as a Kubernetes Deployment (deploy/kubernetes/worker.yaml)",
        when=lambda a: a["deploy"] == "kubernetes" and a["worker"] != "none",
        example={"deploy": "kubernetes", "redis": True, "worker": "taskiq"},
        kubernetes_manifests=("worker.yaml",),
    ),
)

BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}


def enabled_features(answers: Answers) -> list[Feature]:
    """The features complete answers turn on, in table order (KeyError: an answer is missing)."""
    return [feature for feature in FEATURES if feature.when(answers)]


def production_required(features: Iterable[Feature]) -> list[str]:
    """The variables a production start refuses to go without, with these features on: the
    core's (no default under ProductionRules), then those each feature's settings class names in
    `require_in_production(...)`. Read from the settings classes, never listed by hand: the
    after-copy message, the generated README and tests name what the classes refuse."""
    names = [*core_production_required()]
    names += [s.name for f in features for s in f.settings if s.required_in_production]
    return list(dict.fromkeys(names))


def wiring_order(features: Iterable[Feature]) -> list[Feature]:
    """The features in the order their integrations are installed and their lifespans entered:
    each after the enabled features it names in `after`; among the ready ones, by name."""
    pending = {feature.name: feature for feature in features}
    ordered: list[Feature] = []
    while pending:
        ready = sorted(
            name for name, f in pending.items() if not any(dep in pending for dep in f.after)
        )
        if not ready:
            raise ValueError(f"`after` runs in a circle among {sorted(pending)}")
        ordered.append(pending.pop(ready[0]))
    return ordered


def keeps_every_feature_on(answers: Answers, feature: Feature) -> bool:
    """Whether `feature`'s example, laid over `answers`, leaves on every feature they turn on
    (false for an alternative of one on: oidc over builtin's accounts)."""
    before = {f.name for f in enabled_features(answers)}
    return before <= {f.name for f in enabled_features({**answers, **feature.example})}


def all_on(base: Answers) -> dict[str, Any]:
    """`base` with every feature's example merged in, table order, skipping an example that would
    turn off a feature already on (of two alternatives, the one declared first wins)."""
    answers = dict(base)
    for feature in FEATURES:
        if keeps_every_feature_on(answers, feature):
            answers = {**answers, **feature.example}
    return answers


def module_files(module: str) -> tuple[str, str]:
    """The rendered file a dotted module name can be: a module, or a package's __init__.py."""
    path = module.replace(".", "/")
    return f"{path}.py", f"{path}/__init__.py"


def _modules_named(feature: Feature) -> list[str]:
    named = [feature.integration] if feature.integration else []
    if feature.settings_class:
        named.append(feature.settings_class.split(":", 1)[0])
    named += [f"app.api.routes.{route}" for route in feature.routes]
    named += [*feature.server_hooks.values(), *feature.test_plugins]
    return named


def check_table(features: tuple[Feature, ...] = FEATURES) -> None:
    """Refuse a table whose declarations contradict each other or the template's files (run on
    every render)."""
    names = [feature.name for feature in features]
    problems = [f"{name} is declared twice" for name in sorted(set(names)) if names.count(name) > 1]
    problems += [
        f"template/ names files after {name}, no such feature"
        for name in sorted(set(feature_files()) - set(names))
    ]
    settings: dict[str, str] = {}
    for feature in features:
        problems += [
            f"{feature.name}: after {dep}, no such feature"
            for dep in feature.after
            if dep not in names
        ]
        for setting in feature.settings:
            if setting.name in settings:
                problems.append(f"{setting.name} is declared by {settings[setting.name]} too")
            settings[setting.name] = feature.name
        for module in _modules_named(feature):
            if not set(module_files(module)) & set(feature.files):
                problems.append(f"{feature.name} names {module} but does not own its file")
        own = {setting.name for setting in feature.settings}
        for name in (*feature.test_environment, *feature.production_test_environment):
            if name not in own:
                problems.append(
                    f"{feature.name} gives {name} a test value, not one of its settings"
                )
        problems += [
            f"{feature.name} lists {path} among its shared files, but owns it"
            for path in feature.shared_files
            if path in feature.files
        ]
    try:
        wiring_order(features)
    except ValueError as circle:
        problems.append(str(circle))
    if problems:
        raise ValueError("extensions/features.py: " + "; ".join(problems))


check_table()
