"""The feature table: every optional part of a rendered service, declared once.

A `Feature` says when the answers turn it on (`when`), which answers show it on (`example`),
the files it owns in the render, and everything shared files need from it: dependencies,
settings, its integration module and wiring order, compose and CI services, Kubernetes facts and
test plugins. extensions/context.py turns the enabled features into the render's context; the
template's tests and the docs read this table instead of repeating it.

Adding an option: its question in copier.yml, one `Feature` here, its own files, its paragraph
in docs/options.md. Nothing else names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Setting:
    """One environment variable a feature's settings class reads (the class itself, with types,
    defaults and bounds, is Python code in the feature's own files)."""

    name: str
    example: str  # its line in .env.example and the Kubernetes ConfigMap ("": left unset there)
    doc: str  # the comment above that line
    # Credentials, or URLs that may embed them: deployments take them from a Secret.
    secret: bool = False
    # The settings class refuses production without it (kept here for the Kubernetes Secret).
    required_in_production: bool = False
    # Python expression (a str) the generated tests export, e.g. to reach the test Redis.
    test_value: str | None = None
    # Python expression the generated tests set only where they load production settings: a
    # value production requires that the test environment itself leaves unset.
    production_test_value: str | None = None


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
class Feature:
    name: str
    summary: str
    # The answers that turn it on; they are complete when a file is rendered.
    when: Callable[[Answers], bool]
    # Answers on top of all-off that turn it on, with what it needs (tests and docs use them).
    example: Answers
    # Paths in the render that exist only with this feature (the template test checks both ways).
    files: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    dev_dependencies: tuple[str, ...] = ()
    # Module exposing `install(app, settings)`; wired after the enabled features named in `after`,
    # otherwise by name, so the order never depends on this table's.
    integration: str | None = None
    after: tuple[str, ...] = ()
    # "module:Class" of its settings, joined into the app's one settings class.
    settings_class: str | None = None
    settings: tuple[Setting, ...] = ()
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


REDIS_TEST_URL = 'env("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")'

FEATURES: tuple[Feature, ...] = (
    Feature(
        name="redis",
        summary="Redis client (redis.asyncio) owned by the lifespan, with a readiness check",
        when=lambda a: bool(a["redis"]),
        example={"redis": True},
        files=(
            "app/integrations/redis.py",
            "tests/plugins/redis_server.py",
            "tests/test_api/test_redis_health.py",
        ),
        dependencies=("redis>=8.1,<9",),
        integration="app.integrations.redis",
        settings_class="app.integrations.redis:RedisSettings",
        settings=(
            Setting(
                "REDIS_URL",
                "redis://127.0.0.1:6379/0",
                "Redis for caching, shared rate limits and the worker queue",
                secret=True,  # redis://user:password@host
                required_in_production=True,
                test_value=REDIS_TEST_URL,
            ),
            Setting(
                "REDIS_KEY_PREFIX",
                "{slug}",
                "Prefix of every key this service writes, so services can share one Redis",
                test_value='f"test-{RUN_ID}"',
            ),
            Setting(
                "REDIS_TIMEOUT_SECONDS",
                "1.0",
                "Connect and command timeout: an outage costs at most this per call",
            ),
        ),
        test_plugins=("tests.plugins.redis_server",),
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
        compose_environment={"REDIS_URL": "redis://redis:6379/0"},
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
        files=(
            "app/integrations/cache.py",
            "app/api/routes/reports.py",
            "app/schemas/report.py",
            "app/services/report_service.py",
            "tests/test_api/test_cache.py",
        ),
        integration="app.integrations.cache",
        after=("redis",),  # its lifespan uses the Redis client
        settings_class="app.integrations.cache:CacheSettings",
        settings=(
            Setting(
                "CACHE_ENABLED",
                "true",
                "Serve cached responses; off, every request computes its answer",
            ),
            Setting(
                "CACHE_DEFAULT_TTL_SECONDS",
                "60",
                "Lifetime of a cached response when the endpoint names none",
            ),
        ),
        routes=("reports",),
    ),
    Feature(
        name="rate_limit",
        summary="Per-client rate limits (limits, async): a global default and stricter auth limits",
        when=lambda a: a["rate_limit"] != "off",
        example={"rate_limit": "memory"},
        files=(
            "app/integrations/rate_limit.py",
            "app/integrations/rate_limit_storage.py",
            "tests/test_api/test_rate_limit.py",
        ),
        dependencies=("limits>=5.8,<6",),
        integration="app.integrations.rate_limit",
        after=("redis",),  # the Redis storage shares the Redis client's pool
        settings_class="app.integrations.rate_limit:RateLimitSettings",
        settings=(
            Setting(
                "RATE_LIMIT_ENABLED",
                "true",
                "Answer over-limit clients with 429",
                test_value='"false"',  # the rate-limit tests turn it on; others log in freely
            ),
            Setting(
                "RATE_LIMIT_DEFAULT",
                "120/minute",
                "Limit per client on every route (limits' notation: N/second|minute|hour|day)",
            ),
            Setting(
                "RATE_LIMIT_AUTH",
                "10/minute",
                "Stricter limit per client on every route under /api/v1/auth/ (login, token, "
                "register, refresh, password reset) and on /api/v1/users/me/password",
            ),
            Setting(
                "RATE_LIMIT_EXEMPT_PATHS",
                "/health,/health/detailed,/metrics",
                "Paths never limited (probes, scrapes); comma-separated",
            ),
            Setting(
                "RATE_LIMIT_FAIL_OPEN",
                "true",
                "When the counter storage (Redis) fails, on routes outside those: true lets "
                "requests through, false answers 503 (the auth routes always answer 503)",
            ),
        ),
    ),
    Feature(
        name="rate_limit_redis",
        summary="Rate-limit counters in Redis, shared by every worker and replica",
        when=lambda a: a["rate_limit"] == "redis",
        example={"redis": True, "rate_limit": "redis"},
        files=("tests/test_api/test_rate_limit_redis.py",),
    ),
    Feature(
        name="metrics",
        summary="Prometheus /metrics: requests and latency by route template, multiprocess-safe",
        when=lambda a: bool(a["metrics"]),
        example={"metrics": True},
        files=(
            "app/integrations/metrics.py",
            "app/integrations/metrics_processes.py",
            "scripts/start.d/prometheus.sh",
            "tests/test_api/test_metrics.py",
        ),
        dependencies=("prometheus-client>=0.21",),
        integration="app.integrations.metrics",
        after=("rate_limit",),  # its middleware wraps the limiter's, so 429s are counted
        settings_class="app.integrations.metrics:MetricsSettings",
        settings=(
            Setting("METRICS_ENABLED", "true", "Expose /metrics and count requests"),
            Setting(
                "METRICS_TOKEN",
                "",
                "/metrics requires `Authorization: Bearer <token>` when set; production requires "
                "it (16+ characters: python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                secret=True,
                required_in_production=True,
                production_test_value='"test-metrics-token-" + RUN_ID',
            ),
            Setting(
                "METRICS_PUBLIC",
                "false",
                "true: production starts without METRICS_TOKEN; only when nothing outside a "
                "private network can reach /metrics",
            ),
        ),
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
        files=("app/integrations/sentry.py", "tests/test_services/test_sentry.py"),
        dependencies=("sentry-sdk>=2.75,<3",),
        integration="app.integrations.sentry",
        settings_class="app.integrations.sentry:SentrySettings",
        settings=(
            Setting("SENTRY_DSN", "", "Sentry project DSN; unset: off", secret=True),
            Setting(
                "SENTRY_TRACES_SAMPLE_RATE", "0.0", "Share of requests traced by Sentry (0.0-1.0)"
            ),
            Setting(
                "SENTRY_PROFILES_SAMPLE_RATE", "0.0", "Share of traced requests profiled (0.0-1.0)"
            ),
            Setting(
                "SENTRY_RELEASE",
                "",
                "Release name reported to Sentry; defaults to the service version",
            ),
        ),
    ),
    Feature(
        name="tracing",
        summary="OpenTelemetry traces (FastAPI, SQLAlchemy, Redis) over OTLP, trace id in logs",
        when=lambda a: bool(a["tracing"]),
        example={"tracing": True},
        files=("app/integrations/tracing.py", "tests/test_services/test_tracing.py"),
        dependencies=(
            "opentelemetry-sdk>=1.30,<2",
            "opentelemetry-exporter-otlp-proto-http>=1.30,<2",
            "opentelemetry-instrumentation-fastapi>=0.51b0",
            "opentelemetry-instrumentation-sqlalchemy>=0.51b0",
        ),
        integration="app.integrations.tracing",
        settings_class="app.integrations.tracing:TracingSettings",
        settings=(
            Setting(
                "TRACING_ENABLED",
                "false",
                "Export traces; the exporter reads the standard OTEL_* variables",
            ),
        ),
    ),
    Feature(
        name="tracing_redis",
        summary="Redis commands appear as spans",
        when=lambda a: bool(a["tracing"] and a["redis"]),
        example={"tracing": True, "redis": True},
        files=("app/integrations/tracing_redis.py", "tests/test_services/test_tracing_redis.py"),
        dependencies=("opentelemetry-instrumentation-redis>=0.51b0",),
        integration="app.integrations.tracing_redis",
        after=("redis", "tracing"),  # instruments the client under tracing's provider
    ),
    Feature(
        name="worker",
        summary="Taskiq worker on a Redis stream: tasks, an enqueue endpoint, a compose service",
        when=lambda a: a["worker"] != "none",
        example={"redis": True, "worker": "taskiq"},
        files=(
            "app/integrations/worker/__init__.py",
            "app/integrations/worker/__main__.py",
            "app/integrations/worker/settings.py",
            "app/integrations/worker/broker.py",
            "app/integrations/worker/tasks.py",
            "app/integrations/worker/client.py",
            "app/integrations/worker/process.py",
            "app/integrations/worker/request_id.py",
            "app/api/routes/notifications.py",
            "app/schemas/notification.py",
            "scripts/worker.sh",
            "tests/test_integration/test_worker.py",
        ),
        # 0.12: the receiver's wait_tasks_timeout, the worker's grace period.
        dependencies=("taskiq>=0.12,<1", "taskiq-redis>=1.0,<2"),
        integration="app.integrations.worker.client",
        after=("redis",),  # its settings extend Redis's, and its broker uses Redis
        settings_class="app.integrations.worker.settings:WorkerSettings",
        settings=(
            Setting(
                "WORKER_QUEUE",
                "tasks",
                "Name of the Redis stream the worker reads (prefixed with REDIS_KEY_PREFIX)",
            ),
            Setting(
                "WORKER_CONCURRENCY",
                "100",
                "Tasks one worker process runs at once (run more processes to use more cores)",
            ),
            Setting(
                "WORKER_SHUTDOWN_GRACE_SECONDS",
                "20",
                "On SIGTERM, how long running tasks may take to finish before they are cancelled",
            ),
        ),
        routes=("notifications",),
        compose_processes={"worker": ("scripts/worker.sh",)},
    ),
    Feature(
        name="email",
        summary="E-mail over SMTP (aiosmtplib): password reset and address verification by "
        "mail, sent off the request with retries (by the worker when it is on); Mailpit in "
        "compose",
        when=lambda a: bool(a["email"]),
        example={"email": True},
        files=(
            "app/integrations/email/__init__.py",
            "app/integrations/email/integration.py",
            "app/integrations/email/settings.py",
            "app/integrations/email/messages.py",
            "app/integrations/email/smtp.py",
            "app/integrations/email/outbox.py",
            "app/integrations/email/account_mails.py",
            "app/integrations/email/templates/password_reset.txt",
            "app/integrations/email/templates/password_reset.html",
            "app/integrations/email/templates/verify_email.txt",
            "app/integrations/email/templates/verify_email.html",
            "app/services/one_time_token_service.py",
            "app/services/account_mail_service.py",
            "app/schemas/account_mail.py",
            "app/api/mail_providers.py",
            "app/api/routes/auth_mail.py",
            "tests/plugins/smtp_server.py",
            "tests/test_api/test_account_mail.py",
            "tests/test_services/test_account_mail_service.py",
        ),
        dependencies=("aiosmtplib>=5,<6",),
        dev_dependencies=("aiosmtpd>=1.4,<2",),
        integration="app.integrations.email.integration",
        after=("worker",),  # with the worker, its outbox queues mails on the worker's broker
        settings_class="app.integrations.email.settings:EmailSettings",
        settings=(
            Setting(
                "SMTP_HOST",
                "localhost",
                "SMTP relay that sends the service's mail",
                test_value='"127.0.0.1"',  # the suite's own SMTP server (tests/plugins/)
            ),
            Setting("SMTP_PORT", "1025", "Its port (Mailpit: 1025; submission: 587; TLS: 465)"),
            Setting("SMTP_USERNAME", "", "Login at the relay; unset: no authentication"),
            Setting("SMTP_PASSWORD", "", "Password at the relay", secret=True),
            Setting(
                "SMTP_TLS",
                "none",
                "none (a local relay, Mailpit) | starttls (upgrade, port 587) | tls (port 465)",
            ),
            Setting("SMTP_TIMEOUT_SECONDS", "10", "Connect and command timeout per attempt"),
            Setting("EMAIL_FROM", "noreply@example.com", "Sender address of every mail"),
            Setting(
                "EMAIL_LINK_BASE_URL",
                "http://localhost:8000",
                "Frontend URL mails link to (<base>/reset-password?token=..., "
                "<base>/verify-email?token=...); production requires it, https unless localhost",
                required_in_production=True,
                production_test_value='"https://app.example.com"',
            ),
            Setting("EMAIL_SEND_ATTEMPTS", "3", "Tries per mail before it is given up (logged)"),
            Setting(
                "EMAIL_RETRY_DELAY_SECONDS",
                "2",
                "Wait after a failed try, doubled each time",
                test_value='"0"',
            ),
            Setting("PASSWORD_RESET_TOKEN_EXPIRE_MINUTES", "30", "Lifetime of a mailed reset link"),
            Setting(
                "EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS",
                "48",
                "Lifetime of a mailed verification link",
            ),
            Setting(
                "EMAIL_VERIFICATION_REQUIRED",
                "false",
                "true: logins are refused (403) until the address is verified",
            ),
        ),
        routes=("auth_mail",),
        test_plugins=("tests.plugins.smtp_server",),
        compose_services={
            "mailpit": {
                "image": "axllent/mailpit:v1.27",
                "ports": ["127.0.0.1:8025:8025"],
                "restart": "unless-stopped",
            }
        },
        compose_environment={
            "SMTP_HOST": "mailpit",
            "SMTP_PORT": "1025",
            "EMAIL_LINK_BASE_URL": "${EMAIL_LINK_BASE_URL:-http://localhost:3000}",
        },
    ),
    Feature(
        name="email_worker",
        summary="Mail sent by the worker: its `send_mail` task (app/integrations/email/tasks.py)",
        when=lambda a: bool(a["email"]) and a["worker"] != "none",
        example={"email": True, "redis": True, "worker": "taskiq"},
        files=("app/integrations/email/tasks.py",),
    ),
    Feature(
        name="ci_github",
        summary="GitHub Actions workflows (checks; template updates as pull requests), audited "
        "by zizmor, and grouped Dependabot updates with a cooldown",
        when=lambda a: a["ci"] == "github",
        example={"ci": "github"},
        files=(
            ".github/workflows/ci.yml",
            ".github/workflows/template-update.yml",
            ".github/dependabot.yml",
        ),
        dev_dependencies=("zizmor>=1.32",),
    ),
    Feature(
        name="ci_gitlab",
        summary="GitLab CI pipeline (checks; scheduled template updates as merge requests) and "
        "grouped Renovate updates with a minimum release age",
        when=lambda a: a["ci"] == "gitlab",
        example={"ci": "gitlab"},
        files=(".gitlab-ci.yml", "renovate.json"),
    ),
    Feature(
        name="template_updates",
        summary="scripts/template_update.py: `copier update` on a branch, opened as a pull or "
        "merge request by the CI's scheduled job",
        when=lambda a: a["ci"] != "none",
        example={"ci": "github"},
        files=("scripts/template_update.py",),
    ),
    Feature(
        name="kubernetes",
        summary="Kubernetes manifests in deploy/kubernetes/ (kustomize): Deployment, Service, "
        "HPA, PodDisruptionBudget, ConfigMap, a migration Job, Secret references",
        when=lambda a: a["deploy"] == "kubernetes",
        example={"deploy": "kubernetes"},
        files=tuple(
            f"deploy/kubernetes/{name}"
            for name in (
                "README.md",
                "kustomization.yaml",
                "configmap.yaml",
                "deployment.yaml",
                "service.yaml",
                "hpa.yaml",
                "pdb.yaml",
                "secret.example.yaml",
                "migrate/kustomization.yaml",
                "migrate/job.yaml",
            )
        ),
        kubernetes_manifests=(
            "configmap.yaml",
            "deployment.yaml",
            "hpa.yaml",
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
        files=(
            "deploy/kubernetes/monitoring/kustomization.yaml",
            "deploy/kubernetes/monitoring/podmonitor.yaml",
        ),
    ),
    Feature(
        name="kubernetes_worker",
        summary="The taskiq worker as a Kubernetes Deployment (deploy/kubernetes/worker.yaml)",
        when=lambda a: a["deploy"] == "kubernetes" and a["worker"] != "none",
        example={"deploy": "kubernetes", "redis": True, "worker": "taskiq"},
        files=("deploy/kubernetes/worker.yaml",),
        kubernetes_manifests=("worker.yaml",),
    ),
)

BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}


def enabled_features(answers: Answers) -> list[Feature]:
    """The features complete answers turn on, in table order (KeyError: an answer is missing)."""
    return [feature for feature in FEATURES if feature.when(answers)]


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


def all_on(base: Answers) -> dict[str, Any]:
    """`base` with every feature's example merged in, table order, skipping an example that would
    turn off a feature already on (of two alternatives, the one declared first wins)."""
    answers = dict(base)
    for feature in FEATURES:
        candidate = {**answers, **feature.example}
        before = {f.name for f in enabled_features(answers)}
        if before <= {f.name for f in enabled_features(candidate)}:
            answers = candidate
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
    """Refuse a table whose declarations contradict each other (run on every render)."""
    names = [feature.name for feature in features]
    problems = [f"{name} is declared twice" for name in sorted(set(names)) if names.count(name) > 1]
    owners: dict[str, str] = {}
    settings: dict[str, str] = {}
    for feature in features:
        problems += [
            f"{feature.name}: after {dep}, no such feature"
            for dep in feature.after
            if dep not in names
        ]
        for path in feature.files:
            if path in owners:
                problems.append(f"{path} is owned by {owners[path]} and {feature.name}")
            owners[path] = feature.name
        for setting in feature.settings:
            if setting.name in settings:
                problems.append(f"{setting.name} is declared by {settings[setting.name]} too")
            settings[setting.name] = feature.name
        for module in _modules_named(feature):
            if not set(module_files(module)) & set(feature.files):
                problems.append(f"{feature.name} names {module} but does not own its file")
        if feature.settings and not feature.settings_class:
            problems.append(f"{feature.name} declares settings but no settings_class")
    try:
        wiring_order(features)
    except ValueError as circle:
        problems.append(str(circle))
    if problems:
        raise ValueError("extensions/features.py: " + "; ".join(problems))


check_table()
