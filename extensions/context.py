"""The single source of truth for what the answers pull into a rendered service.

Templates never re-derive a feature from raw answers. They read what is computed here:

- ``features``: names of the enabled features, used by conditional file names
  (``{% if "cache" in features %}cache.py{% endif %}``);
- ``dependencies`` / ``dev_dependencies``: pyproject lists;
- ``feature_settings`` / ``production_required``: fields of ``app/core/config.py`` and the
  lines of ``.env.example``;
- ``integrations``: modules wired into ``app/main.py`` and the lifespan through one loop;
- ``compose``: the whole docker-compose file; ``ci_services``: services the CI jobs start;
- ``server_hooks``: gunicorn server hooks imported by ``app/core/gunicorn_conf.py``;
- ``kubernetes_*``: what ``deploy/kubernetes/`` renders: ConfigMap entries, Secret references,
  extra manifests and pod annotations.

An optional part adds one ``Feature`` below plus its own files; no shared file grows an ``if``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from copier_template_extensions import ContextHook

# Floors are the releases the generated code was checked against where it relies on their
# behaviour (see docs/options.md): FastAPI's telemetry switch and body limit, PyJWT's required
# claims, pwdlib's verify_and_update, redis.asyncio's aclose and timeouts, limits' redispy async
# storage; ruff and mypy because the rendered files must pass their current format and checks.
CORE_DEPENDENCIES: tuple[str, ...] = (
    "anyio>=4.5,<5",
    "fastapi>=0.165,<1",
    "fastapi-offline>=1.7.7,<2",
    "uvicorn[standard]>=0.34",
    "pydantic>=2.11,<3",
    "pydantic-settings>=2.7,<3",
    "email-validator>=2.2",
    "python-multipart>=0.0.20",
    "sqlalchemy[asyncio]>=2.1,<3",
    "alembic>=1.15,<2",
    "asyncpg>=0.30",
    "aiosqlite>=0.21",
    "pyjwt>=2.15,<3",
    "pwdlib[argon2]>=0.3.1,<0.4",
    # WEB_CONCURRENCY > 1: gunicorn supervises uvicorn worker processes (scripts/start.sh).
    "gunicorn>=23.0",
    "uvicorn-worker>=0.3",
)

CORE_ROUTES: tuple[str, ...] = ("auth", "users")

# Base images by digest (multi-arch indexes, Debian trixie), so a build cannot change under a
# moving tag; Dependabot/Renovate move tag and digest together in the generated project.
PYTHON_IMAGE_DIGESTS: dict[str, str] = {
    "3.11": "sha256:45037981b62b34b44602584fccbc4d884d5f7dc92c7ee86bb38a698a79fe1e51",
    "3.12": "sha256:05cda9777409a9c3ffddd94a4c476b79f0769a0b4857f0c7ed9226b6800b0d6f",
    "3.13": "sha256:70729b46c69b4f1e97c4822c1af3df53a1476cf5ddc6c087c0c10bc3a5678c2f",
}
UV_IMAGE = "ghcr.io/astral-sh/uv:0.13.0"
UV_IMAGE_DIGEST = "sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168"

CORE_DEV_DEPENDENCIES: tuple[str, ...] = (
    "pytest>=9.0",
    "pytest-asyncio>=1.0",
    "httpx>=0.28",
    "coverage[toml]>=7.6",
    "mypy>=2.4",
    "asyncpg-stubs>=0.30",
    "ruff>=0.17",
    "pre-commit>=4.0",
    "pre-commit-hooks>=5.0",
)


@dataclass(frozen=True)
class Setting:
    """One settings field: rendered into the Settings class and documented in .env.example."""

    name: str
    annotation: str  # Python type, as written in app/core/config.py
    default: str  # Python expression for the default
    example: str  # value shown in .env.example
    doc: str
    required_in_production: bool = False
    # Python expression (a str) exported to the environment by the generated test suite
    # (tests/features.py), e.g. to point at the test Redis.
    test_value: str | None = None
    # Credentials or URLs that may embed them: deployments take it from a Secret, never from a
    # ConfigMap (deploy/kubernetes/).
    secret: bool = False


@dataclass(frozen=True)
class Feature:
    name: str
    summary: str
    dependencies: tuple[str, ...] = ()
    dev_dependencies: tuple[str, ...] = ()
    settings: tuple[Setting, ...] = ()
    # Module exposing `install(app, settings)` and `lifespan(app)`; wired in one loop.
    integration: str | None = None
    # Modules of app/api/routes/ whose `router` joins the versioned API.
    routes: tuple[str, ...] = ()
    compose_services: dict[str, Any] = field(default_factory=dict)
    api_environment: dict[str, str] = field(default_factory=dict)
    ci_services: tuple[str, ...] = ()
    # Modules under tests/ loaded as pytest plugins (shared fixtures of the feature).
    test_plugins: tuple[str, ...] = ()
    # gunicorn server hook name -> module defining a function of that name (multi-process serving).
    server_hooks: dict[str, str] = field(default_factory=dict)
    # Manifests of deploy/kubernetes/ that exist only with this feature (listed in kustomization).
    kubernetes_manifests: tuple[str, ...] = ()
    # Annotations on the API pods (e.g. Prometheus scrape discovery).
    pod_annotations: dict[str, str] = field(default_factory=dict)


# What every service container of the compose stack runs with (secrets come from `.env`).
PRODUCTION_ENVIRONMENT: dict[str, str] = {
    "ENVIRONMENT": "production",
    "DATABASE_URL": (
        "postgresql+asyncpg://app:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@db:5432/app"
    ),
    "SECRET_KEY": "${SECRET_KEY:?set SECRET_KEY to 32+ random characters}",
    "ALLOWED_ORIGINS": "${ALLOWED_ORIGINS:-http://localhost:3000}",
}

REDIS = Feature(
    name="redis",
    summary="Redis client (redis.asyncio) owned by the lifespan, with a readiness check",
    dependencies=("redis>=8.1,<9",),
    settings=(
        Setting(
            "REDIS_URL",
            "str",
            '"redis://127.0.0.1:6379/0"',
            "redis://127.0.0.1:6379/0",
            "Redis for caching, shared rate limits and the worker queue",
            required_in_production=True,
            test_value='env("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")',
            secret=True,  # redis://user:password@host
        ),
        Setting(
            "REDIS_KEY_PREFIX",
            "str",
            '"{slug}"',
            "{slug}",
            "Prefix of every key this service writes, so services can share one Redis",
            test_value='f"test-{RUN_ID}"',
        ),
        Setting(
            "REDIS_TIMEOUT_SECONDS",
            "float",
            "1.0",
            "1.0",
            "Connect and command timeout: an outage costs at most this per call",
        ),
    ),
    integration="app.core.redis_client",
    compose_services={
        "redis": {
            "image": "redis:7-alpine",
            "command": ["redis-server", "--save", "", "--appendonly", "no"],
            "healthcheck": {
                "test": ["CMD", "redis-cli", "ping"],
                "interval": "5s",
                "timeout": "3s",
                "retries": 10,
            },
            "restart": "unless-stopped",
        }
    },
    api_environment={"REDIS_URL": "redis://redis:6379/0"},
    ci_services=("redis",),
    test_plugins=("tests.plugins.redis_server",),
)

CACHE = Feature(
    name="cache",
    summary="Response caching in Redis (`@cached(ttl_seconds=...)`), bypassed when Redis is down",
    settings=(
        Setting(
            "CACHE_ENABLED",
            "bool",
            "True",
            "true",
            "Serve cached responses; off, every request computes its answer",
        ),
        Setting(
            "CACHE_DEFAULT_TTL_SECONDS",
            "int",
            "60",
            "60",
            "Lifetime of a cached response when the endpoint names none",
        ),
    ),
    integration="app.core.cache",
    routes=("reports",),
)

RATE_LIMIT = Feature(
    name="rate_limit",
    summary="Per-client rate limits (limits, async): a global default and stricter auth limits",
    dependencies=("limits>=5.8,<6",),
    settings=(
        Setting(
            "RATE_LIMIT_ENABLED",
            "bool",
            "True",
            "true",
            "Answer over-limit clients with 429",
            test_value='"false"',  # the rate-limit tests turn it on; others log in freely
        ),
        Setting(
            "RATE_LIMIT_DEFAULT",
            "str",
            '"120/minute"',
            "120/minute",
            "Limit per client on every route (limits' notation: N/second|minute|hour|day)",
        ),
        Setting(
            "RATE_LIMIT_AUTH",
            "str",
            '"10/minute"',
            "10/minute",
            "Stricter limit per client on /auth/login, /auth/token and /auth/register",
        ),
        Setting(
            "RATE_LIMIT_EXEMPT_PATHS",
            "CommaSeparated",
            '["/health", "/health/detailed", "/metrics"]',
            "/health,/health/detailed,/metrics",
            "Paths never limited (probes, scrapes); comma-separated",
        ),
        Setting(
            "RATE_LIMIT_FAIL_OPEN",
            "bool",
            "True",
            "true",
            "When the counter storage (Redis) fails: true lets requests through, false answers 503",
        ),
    ),
    integration="app.middleware.rate_limit",
)

RATE_LIMIT_REDIS = Feature(
    name="rate_limit_redis",
    summary="Rate-limit counters in Redis, shared by every worker and replica",
)

METRICS = Feature(
    name="metrics",
    summary="Prometheus /metrics: requests and latency by route template, multiprocess-safe",
    dependencies=("prometheus-client>=0.21",),
    settings=(
        Setting("METRICS_ENABLED", "bool", "True", "true", "Expose /metrics and count requests"),
        Setting(
            "METRICS_TOKEN",
            "SecretStr | None",
            "None",
            "",
            "When set, /metrics requires `Authorization: Bearer <token>`",
            secret=True,
        ),
    ),
    integration="app.core.metrics",
    # A worker that exits leaves its files in PROMETHEUS_MULTIPROC_DIR; its live gauges must go.
    server_hooks={"child_exit": "app.core.metrics_processes"},
    pod_annotations={
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8000",
        "prometheus.io/path": "/metrics",
    },
)

SENTRY = Feature(
    name="sentry",
    summary="Sentry error reporting, initialised only when SENTRY_DSN is set; no PII",
    dependencies=("sentry-sdk>=2.75,<3",),
    settings=(
        Setting(
            "SENTRY_DSN",
            "SecretStr | None",
            "None",
            "",
            "Sentry project DSN; unset: off",
            secret=True,
        ),
        Setting(
            "SENTRY_TRACES_SAMPLE_RATE",
            "float",
            "0.0",
            "0.0",
            "Share of requests traced by Sentry (0.0-1.0)",
        ),
        Setting(
            "SENTRY_PROFILES_SAMPLE_RATE",
            "float",
            "0.0",
            "0.0",
            "Share of traced requests profiled (0.0-1.0)",
        ),
        Setting(
            "SENTRY_RELEASE",
            "str | None",
            "None",
            "",
            "Release name reported to Sentry; defaults to the service version",
        ),
    ),
    integration="app.core.sentry",
)

TRACING = Feature(
    name="tracing",
    summary="OpenTelemetry traces (FastAPI, SQLAlchemy, Redis) over OTLP, trace id in logs",
    dependencies=(
        "opentelemetry-sdk>=1.30,<2",
        "opentelemetry-exporter-otlp-proto-http>=1.30,<2",
        "opentelemetry-instrumentation-fastapi>=0.51b0",
        "opentelemetry-instrumentation-sqlalchemy>=0.51b0",
    ),
    settings=(
        Setting(
            "TRACING_ENABLED",
            "bool",
            "False",
            "false",
            "Export traces; the exporter reads the standard OTEL_* variables",
        ),
    ),
    integration="app.core.tracing",
)

TRACING_REDIS = Feature(
    name="tracing_redis",
    summary="Redis commands appear as spans",
    dependencies=("opentelemetry-instrumentation-redis>=0.51b0",),
    integration="app.core.tracing_redis",
)

WORKER = Feature(
    name="worker",
    summary="Taskiq worker on a Redis stream: tasks, an enqueue endpoint, a compose service",
    dependencies=("taskiq>=0.11,<1", "taskiq-redis>=1.0,<2"),
    settings=(
        Setting(
            "WORKER_QUEUE",
            "str",
            '"tasks"',
            "tasks",
            "Name of the Redis stream the worker reads (prefixed with REDIS_KEY_PREFIX)",
        ),
    ),
    integration="app.worker.client",
    routes=("notifications",),
    compose_services={
        "worker": {
            "image": "{slug}:latest",
            "command": ["scripts/worker.sh"],
            "environment": {**PRODUCTION_ENVIRONMENT, "REDIS_URL": "redis://redis:6379/0"},
            "depends_on": {
                "db": {"condition": "service_healthy"},
                "redis": {"condition": "service_healthy"},
                "api": {"condition": "service_healthy"},
            },
            "restart": "unless-stopped",
        }
    },
    kubernetes_manifests=("worker.yaml",),
)

CI_GITHUB = Feature(
    name="ci_github",
    summary="GitHub Actions workflows (checks; template updates as pull requests), audited by "
    "zizmor, and grouped Dependabot updates with a cooldown",
    dev_dependencies=("zizmor>=1.32",),
)
CI_GITLAB = Feature(
    name="ci_gitlab",
    summary="GitLab CI pipeline (checks; scheduled template updates as merge requests) and "
    "grouped Renovate updates with a minimum release age",
)
TEMPLATE_UPDATES = Feature(
    name="template_updates",
    summary="scripts/template_update.py: `copier update` on a branch, opened as a pull or merge "
    "request by the CI's scheduled job",
)

KUBERNETES = Feature(
    name="kubernetes",
    summary="Kubernetes manifests in deploy/kubernetes/ (kustomize): Deployment, Service, HPA, "
    "PodDisruptionBudget, ConfigMap, a migration Job, Secret references",
)

ALL_FEATURES: tuple[Feature, ...] = (
    REDIS,
    CACHE,
    RATE_LIMIT,
    RATE_LIMIT_REDIS,
    METRICS,
    SENTRY,
    TRACING,
    TRACING_REDIS,
    WORKER,
    CI_GITHUB,
    CI_GITLAB,
    TEMPLATE_UPDATES,
    KUBERNETES,
)


# What the generated CI starts next to the tests, and how the tests find it.
CI_SERVICES: dict[str, dict[str, str]] = {
    "postgres": {
        "image": "postgres:17-alpine",
        "port": "5432",
        "health": "pg_isready -U postgres",
        "variable": "TEST_DATABASE_URL",
        "url": "postgresql://postgres:postgres@{host}:5432/postgres",
    },
    "redis": {
        "image": "redis:7-alpine",
        "port": "6379",
        "health": "redis-cli ping",
        "variable": "TEST_REDIS_URL",
        "url": "redis://{host}:6379/0",
    },
}


def enabled_features(answers: dict[str, Any]) -> list[Feature]:
    """Which features the answers turn on; the only place answers are interpreted."""
    redis = bool(answers.get("redis"))
    rate_limit = answers.get("rate_limit", "off")
    wanted = {
        "redis": redis,
        "cache": bool(answers.get("cache")),
        "rate_limit": rate_limit != "off",
        "rate_limit_redis": rate_limit == "redis",
        "metrics": bool(answers.get("metrics")),
        "sentry": bool(answers.get("sentry")),
        "tracing": bool(answers.get("tracing")),
        "tracing_redis": bool(answers.get("tracing")) and redis,
        "worker": answers.get("worker", "none") != "none",
        "ci_github": answers.get("ci") == "github",
        "ci_gitlab": answers.get("ci") == "gitlab",
        "template_updates": answers.get("ci") in ("github", "gitlab"),
        "kubernetes": answers.get("deploy", "none") == "kubernetes",
    }
    return [feature for feature in ALL_FEATURES if wanted[feature.name]]


def _substitute(value: Any, slug: str) -> Any:
    if isinstance(value, str):
        return value.replace("{slug}", slug)
    if isinstance(value, dict):
        return {key: _substitute(item, slug) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, slug) for item in value]
    return value


def _with_slug(setting: Setting, slug: str) -> Setting:
    return replace(
        setting,
        default=setting.default.replace("{slug}", slug),
        example=setting.example.replace("{slug}", slug),
    )


# Core settings a production deployment must supply from a Secret (the rest of the core settings
# have production defaults or come from the ConfigMap in deploy/kubernetes/configmap.yaml).
CORE_SECRETS: tuple[tuple[str, str], ...] = (
    ("SECRET_KEY", "change-me-to-48-random-characters"),
    ("DATABASE_URL", "postgresql://app:change-me@postgres:5432/app"),
)


def server_hooks(features: list[Feature]) -> list[tuple[str, str]]:
    """(module, hook) pairs for gunicorn; two features may not claim the same hook."""
    owners: dict[str, str] = {}
    for feature in features:
        for hook, module in feature.server_hooks.items():
            if hook in owners:
                raise ValueError(f"gunicorn hook {hook} claimed by {owners[hook]} and {module}")
            owners[hook] = module
    return sorted((module, hook) for hook, module in owners.items())


def kubernetes_secret_env(features: list[Feature], slug: str) -> list[dict[str, Any]]:
    """Container `env` entries reading each secret setting from the Secret `<slug>-secrets`.

    Settings production requires are required keys (a missing key stops the pod before it
    starts); optional secrets (e.g. METRICS_TOKEN) are `optional: true`.
    """
    entries = [(name, True) for name, _ in CORE_SECRETS] + [
        (setting.name, setting.required_in_production)
        for feature in features
        for setting in feature.settings
        if setting.secret
    ]
    return [
        {
            "name": name,
            "valueFrom": {
                "secretKeyRef": {
                    "name": f"{slug}-secrets",
                    "key": name,
                    **({} if required else {"optional": True}),
                }
            },
        }
        for name, required in entries
    ]


def kubernetes_secret_examples(features: list[Feature]) -> list[tuple[str, str]]:
    """Placeholder values for deploy/kubernetes/secret.example.yaml (never applied as is)."""
    examples = list(CORE_SECRETS)
    for feature in features:
        for setting in feature.settings:
            if setting.secret:
                # The value a container beside the service would use, e.g. redis://redis:6379/0.
                examples.append(
                    (setting.name, feature.api_environment.get(setting.name, setting.example))
                )
    return examples


def kubernetes_config(features: list[Feature], slug: str) -> list[tuple[str, str]]:
    """ConfigMap entries: every non-secret setting of the enabled features, as in .env.example."""
    return [
        (setting.name, setting.example.replace("{slug}", slug))
        for feature in features
        for setting in feature.settings
        if not setting.secret and setting.example != ""
    ]


def compose_file(features: list[Feature], slug: str) -> dict[str, Any]:
    api_environment = {
        **PRODUCTION_ENVIRONMENT,
        "WEB_CONCURRENCY": "${WEB_CONCURRENCY:-2}",
        "FORWARDED_ALLOW_IPS": "*",
    }
    depends_on: dict[str, Any] = {"db": {"condition": "service_healthy"}}
    extra_services: dict[str, Any] = {}
    for feature in features:
        api_environment.update(feature.api_environment)
        extra_services.update(feature.compose_services)
    for name, service in extra_services.items():
        if "healthcheck" in service:
            depends_on[name] = {"condition": "service_healthy"}
    services: dict[str, Any] = {
        "api": {
            "build": ".",
            "image": f"{slug}:latest",
            "ports": ["8000:8000"],
            "environment": api_environment,
            "depends_on": depends_on,
            "healthcheck": {
                "test": ["CMD", "python", "scripts/healthcheck.py"],
                "interval": "30s",
                "timeout": "5s",
                "start_period": "30s",
                "retries": 3,
            },
            "restart": "unless-stopped",
        },
        "db": {
            "image": "postgres:17-alpine",
            "environment": {
                "POSTGRES_USER": "app",
                "POSTGRES_DB": "app",
                "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}",
            },
            "volumes": ["postgres_data:/var/lib/postgresql/data"],
            "healthcheck": {
                "test": ["CMD-SHELL", "pg_isready -U app -d app"],
                "interval": "5s",
                "timeout": "5s",
                "retries": 10,
            },
            "restart": "unless-stopped",
        },
        **extra_services,
    }
    return _substitute({"name": slug, "services": services, "volumes": {"postgres_data": {}}}, slug)


class ContextUpdater(ContextHook):
    def hook(self, context: dict[str, Any]) -> None:
        python_version = context.get("python_version")
        if str(python_version) not in PYTHON_IMAGE_DIGESTS:
            # Question defaults are rendered before every answer exists, and an unsupported
            # version is refused by the question's validator after this runs.
            return
        features = enabled_features(context)
        slug = str(context.get("project_slug", ""))
        context["python_target"] = "py" + str(python_version).replace(".", "")
        digest = PYTHON_IMAGE_DIGESTS[str(python_version)]
        context["python_image"] = f"python:{python_version}-slim@{digest}"
        context["uv_image"] = f"{UV_IMAGE}@{UV_IMAGE_DIGEST}"
        context["features"] = [feature.name for feature in features]
        context["feature_summaries"] = [(f.name, f.summary) for f in features]
        context["dependencies"] = sorted(
            {*CORE_DEPENDENCIES, *(d for f in features for d in f.dependencies)}, key=str.lower
        )
        context["dev_dependencies"] = sorted(
            {*CORE_DEV_DEPENDENCIES, *(d for f in features for d in f.dev_dependencies)},
            key=str.lower,
        )
        context["feature_settings"] = [
            (feature.name, [_with_slug(setting, slug) for setting in feature.settings])
            for feature in features
            if feature.settings
        ]
        context["test_settings"] = [
            (setting.name, setting.test_value)
            for feature in features
            for setting in feature.settings
            if setting.test_value is not None
        ]
        context["production_required"] = [
            setting
            for feature in features
            for setting in feature.settings
            if setting.required_in_production
        ]
        # (package, module, alias): `from package import module as alias`, sorted as isort does.
        context["test_plugins"] = [plugin for f in features for plugin in f.test_plugins]
        context["integrations"] = sorted(
            (*feature.integration.rsplit(".", 1), feature.name)
            for feature in features
            if feature.integration
        )
        context["integration_order"] = [f.name for f in features if f.integration]
        context["api_route_modules"] = sorted(
            {*CORE_ROUTES, *(module for f in features for module in f.routes)}
        )
        context["rate_limit_backend"] = (
            None
            if "rate_limit" not in context["features"]
            else "redis"
            if "rate_limit_redis" in context["features"]
            else "memory"
        )
        context["compose"] = compose_file(features, slug)
        context["server_hooks"] = server_hooks(features)
        context["kubernetes_config"] = kubernetes_config(features, slug)
        context["kubernetes_secret_env"] = kubernetes_secret_env(features, slug)
        context["kubernetes_secret_examples"] = kubernetes_secret_examples(features)
        context["kubernetes_manifests"] = sorted(
            {"configmap.yaml", "deployment.yaml", "hpa.yaml", "pdb.yaml", "service.yaml"}
            | {manifest for f in features for manifest in f.kubernetes_manifests}
        )
        pod_annotations: dict[str, str] = {}
        for feature in features:
            pod_annotations.update(feature.pod_annotations)
        context["kubernetes_pod_annotations"] = pod_annotations
        context["ci_services"] = [
            {"name": name, **CI_SERVICES[name]}
            for name in sorted({"postgres", *(s for f in features for s in f.ci_services)})
        ]
