"""Named answer sets, and what each option must add to a render (and nothing else may).

The tables here are written out by hand on purpose: they are the test's expectation, checked
against what extensions/context.py makes the template render.
"""

from __future__ import annotations

from typing import Any

MINIMAL: dict[str, Any] = {
    "redis": False,
    "cache": False,
    "rate_limit": "off",
    "metrics": False,
    "sentry": False,
    "tracing": False,
    "worker": "none",
    "ci": "none",
    "deploy": "none",
}

ALL_ON: dict[str, Any] = {
    "redis": True,
    "cache": True,
    "rate_limit": "redis",
    "metrics": True,
    "sentry": True,
    "tracing": True,
    "worker": "taskiq",
    "ci": "github",
    "deploy": "kubernetes",
}


def on_top_of_minimal(**answers: Any) -> dict[str, Any]:
    return {**MINIMAL, **answers}


# Each option alone (with Redis where it cannot work without it), pairs that share files or
# resources, everything on, everything off, and the defaults.
SCENARIOS: dict[str, dict[str, Any]] = {
    "all-off": MINIMAL,
    "default": {},
    "all-on": ALL_ON,
    "redis": on_top_of_minimal(redis=True),
    "cache": on_top_of_minimal(redis=True, cache=True),
    "rate-limit-memory": on_top_of_minimal(rate_limit="memory"),
    "rate-limit-redis": on_top_of_minimal(redis=True, rate_limit="redis"),
    "metrics": on_top_of_minimal(metrics=True),
    "sentry": on_top_of_minimal(sentry=True),
    "tracing": on_top_of_minimal(tracing=True),
    "worker": on_top_of_minimal(redis=True, worker="taskiq"),
    "ci-github": on_top_of_minimal(ci="github"),
    "ci-gitlab": on_top_of_minimal(ci="gitlab"),
    "kubernetes": on_top_of_minimal(deploy="kubernetes"),
    # Interacting pairs.
    "cache+rate-limit-redis": on_top_of_minimal(redis=True, cache=True, rate_limit="redis"),
    "cache+worker": on_top_of_minimal(redis=True, cache=True, worker="taskiq"),
    "tracing+redis": on_top_of_minimal(tracing=True, redis=True),
    "tracing+cache": on_top_of_minimal(tracing=True, redis=True, cache=True),
    "metrics+rate-limit-memory": on_top_of_minimal(metrics=True, rate_limit="memory"),
    "sentry+tracing": on_top_of_minimal(sentry=True, tracing=True),
    "worker+rate-limit-redis": on_top_of_minimal(redis=True, worker="taskiq", rate_limit="redis"),
    "ci-github+redis": on_top_of_minimal(ci="github", redis=True),
    "ci-gitlab+worker": on_top_of_minimal(ci="gitlab", redis=True, worker="taskiq"),
    # The manifests read metrics (annotations, multiprocess volume) and the secret settings.
    "default+kubernetes": {"deploy": "kubernetes"},
}

# The scenarios whose deploy/kubernetes/ manifests tests/test_kubernetes.py validates.
KUBERNETES_SCENARIOS = sorted(
    name for name, answers in SCENARIOS.items() if answers.get("deploy") == "kubernetes"
)

# option -> (files it adds, distributions it adds to [project].dependencies)
OPTION_CONTENT: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "redis": (
        frozenset(
            {
                "app/core/redis_client.py",
                "tests/plugins/redis_server.py",
                "tests/test_api/test_redis_health.py",
            }
        ),
        frozenset({"redis"}),
    ),
    "cache": (
        frozenset(
            {
                "app/core/cache.py",
                "app/api/routes/reports.py",
                "app/schemas/report.py",
                "app/services/report_service.py",
                "tests/test_api/test_cache.py",
            }
        ),
        frozenset(),
    ),
    "rate_limit": (
        frozenset(
            {
                "app/middleware/rate_limit.py",
                "app/middleware/rate_limit_storage.py",
                "tests/test_api/test_rate_limit.py",
            }
        ),
        frozenset({"limits"}),
    ),
    "rate_limit_redis": (frozenset({"tests/test_api/test_rate_limit_redis.py"}), frozenset()),
    "metrics": (
        frozenset(
            {
                "app/core/metrics.py",
                "app/core/metrics_processes.py",
                "scripts/start.d/prometheus.sh",
                "tests/test_api/test_metrics.py",
            }
        ),
        frozenset({"prometheus-client"}),
    ),
    "sentry": (
        frozenset({"app/core/sentry.py", "tests/test_services/test_sentry.py"}),
        frozenset({"sentry-sdk"}),
    ),
    "tracing": (
        frozenset({"app/core/tracing.py", "tests/test_services/test_tracing.py"}),
        frozenset(
            {
                "opentelemetry-sdk",
                "opentelemetry-exporter-otlp-proto-http",
                "opentelemetry-instrumentation-fastapi",
                "opentelemetry-instrumentation-sqlalchemy",
            }
        ),
    ),
    "tracing_redis": (
        frozenset({"app/core/tracing_redis.py", "tests/test_services/test_tracing_redis.py"}),
        frozenset({"opentelemetry-instrumentation-redis"}),
    ),
    "worker": (
        frozenset(
            {
                "app/worker/__init__.py",
                "app/worker/broker.py",
                "app/worker/tasks.py",
                "app/worker/client.py",
                "app/api/routes/notifications.py",
                "app/schemas/notification.py",
                "scripts/worker.sh",
                "tests/test_integration/test_worker.py",
            }
        ),
        frozenset({"taskiq", "taskiq-redis"}),
    ),
    "ci_github": (
        frozenset(
            {
                ".github/workflows/ci.yml",
                ".github/workflows/template-update.yml",
                ".github/dependabot.yml",
            }
        ),
        frozenset(),
    ),
    "ci_gitlab": (frozenset({".gitlab-ci.yml", "renovate.json"}), frozenset()),
    "template_updates": (frozenset({"scripts/template_update.py"}), frozenset()),
    "kubernetes": (
        frozenset(
            {
                "deploy/kubernetes/README.md",
                "deploy/kubernetes/kustomization.yaml",
                "deploy/kubernetes/configmap.yaml",
                "deploy/kubernetes/deployment.yaml",
                "deploy/kubernetes/service.yaml",
                "deploy/kubernetes/hpa.yaml",
                "deploy/kubernetes/pdb.yaml",
                "deploy/kubernetes/secret.example.yaml",
                "deploy/kubernetes/migrate/kustomization.yaml",
                "deploy/kubernetes/migrate/job.yaml",
            }
        ),
        frozenset(),
    ),
    "kubernetes_worker": (frozenset({"deploy/kubernetes/worker.yaml"}), frozenset()),
}


def options_on(answers: dict[str, Any]) -> set[str]:
    """Which rows of OPTION_CONTENT a complete set of answers turns on."""
    on = {
        "redis": answers["redis"],
        "cache": answers["cache"],
        "rate_limit": answers["rate_limit"] != "off",
        "rate_limit_redis": answers["rate_limit"] == "redis",
        "metrics": answers["metrics"],
        "sentry": answers["sentry"],
        "tracing": answers["tracing"],
        "tracing_redis": answers["tracing"] and answers["redis"],
        "worker": answers["worker"] != "none",
        "ci_github": answers["ci"] == "github",
        "ci_gitlab": answers["ci"] == "gitlab",
        "template_updates": answers["ci"] != "none",
        "kubernetes": answers["deploy"] == "kubernetes",
        "kubernetes_worker": answers["deploy"] == "kubernetes" and answers["worker"] != "none",
    }
    return {option for option, enabled in on.items() if enabled}
