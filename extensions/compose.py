"""docker-compose.yml as data: the API, PostgreSQL, and what the enabled features add.

Every process of the service's own image (the API, and e.g. the worker) runs with the same
production environment: the core's plus each enabled feature's `compose_environment`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .features import Feature

# What every process of the service runs with (secrets come from `.env`).
PRODUCTION_ENVIRONMENT: dict[str, str] = {
    "ENVIRONMENT": "production",
    "DATABASE_URL": (
        "postgresql+asyncpg://app:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@db:5432/app"
    ),
    "SECRET_KEY": "${SECRET_KEY:?set SECRET_KEY to 32+ random characters}",
    "ALLOWED_ORIGINS": "${ALLOWED_ORIGINS:-http://localhost:3000}",
    "ALLOWED_HOSTS": "${ALLOWED_HOSTS:-localhost,127.0.0.1}",
}
# Only the API serves HTTP. Its port is published as is, with no proxy in front: clients reach
# it directly, so no forwarded header is believed (the container's own loopback only). A proxy
# put in front names its address here (docs/operations.md, Client addresses).
API_ENVIRONMENT: dict[str, str] = {
    "WEB_CONCURRENCY": "${WEB_CONCURRENCY:-2}",
    "FORWARDED_ALLOW_IPS": "${FORWARDED_ALLOW_IPS:-127.0.0.1}",
}

DATABASE: dict[str, Any] = {
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
}

# How long `docker compose stop` waits after SIGTERM before it kills a process of the image other
# than the API (Docker's default is 10 s): as long as Kubernetes' terminationGracePeriodSeconds in
# deploy/kubernetes/, so e.g. the worker's tasks get their WORKER_SHUTDOWN_GRACE_SECONDS.
PROCESS_STOP_GRACE_PERIOD = "30s"

API_HEALTHCHECK: dict[str, Any] = {
    "test": ["CMD", "python", "scripts/healthcheck.py"],
    "interval": "30s",
    "timeout": "5s",
    "start_period": "30s",
    "retries": 3,
}


def _substitute(value: Any, slug: str) -> Any:
    if isinstance(value, str):
        return value.replace("{slug}", slug)
    if isinstance(value, dict):
        return {key: _substitute(item, slug) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_substitute(item, slug) for item in value]
    return value


def compose_file(features: Iterable[Feature], slug: str) -> dict[str, Any]:
    features = list(features)
    environment: dict[str, str] = {}  # what the features add to PRODUCTION_ENVIRONMENT
    backing: dict[str, Any] = {}
    for feature in features:
        environment.update(feature.compose_environment)
        backing.update({name: dict(spec) for name, spec in feature.compose_services.items()})
    healthy = {"condition": "service_healthy"}
    # Processes of the service start once the database and every backing service are healthy.
    depends_on: dict[str, Any] = {"db": healthy} | {
        name: healthy for name, spec in backing.items() if "healthcheck" in spec
    }
    services: dict[str, Any] = {
        "api": {
            "build": ".",
            "image": f"{slug}:latest",
            "ports": ["8000:8000"],
            "environment": {**PRODUCTION_ENVIRONMENT, **API_ENVIRONMENT, **environment},
            "depends_on": depends_on,
            "healthcheck": API_HEALTHCHECK,
            "restart": "unless-stopped",
        },
        "db": DATABASE,
        **backing,
    }
    for feature in features:
        for name, command in feature.compose_processes.items():
            services[name] = {
                "image": f"{slug}:latest",
                "command": list(command),
                "environment": {**PRODUCTION_ENVIRONMENT, **environment},
                "depends_on": {**depends_on, "api": healthy},
                "restart": "unless-stopped",
                "stop_grace_period": PROCESS_STOP_GRACE_PERIOD,
            }
    compose: dict[str, Any] = {"name": slug, "services": services, "volumes": {"postgres_data": {}}}
    return {key: _substitute(value, slug) for key, value in compose.items()}
