"""docker-compose.yml as data: the API, PostgreSQL, and what the enabled features add.

The file runs the service in production, so it ships no value production would accept in the
deployer's place: what only the deployer knows is required (`${NAME:?...}`). The API gets the
core's environment and every enabled feature's `compose_environment`; another process of the
service's image (the worker) gets only the variables of the settings it reads. The app's
containers run read-only, without capabilities or privilege escalation, and every container
has resource limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .features import Feature

# What every process of the service runs with.
PROCESS_ENVIRONMENT: dict[str, str] = {"ENVIRONMENT": "production"}
# The API's (secrets come from `.env` or the environment; the deployer's values are required).
API_ENVIRONMENT: dict[str, str] = {
    "DATABASE_URL": (
        "postgresql+asyncpg://app:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@db:5432/app"
    ),
    "ALLOWED_ORIGINS": (
        "${ALLOWED_ORIGINS:?set ALLOWED_ORIGINS to the https origins of your frontends}"
    ),
    "ALLOWED_HOSTS": "${ALLOWED_HOSTS:?set ALLOWED_HOSTS to the host names clients use}",
    "WEB_CONCURRENCY": "${WEB_CONCURRENCY:-2}",
    # Published as is, with no proxy in front: clients reach it directly, so no forwarded
    # header is believed (the container's own loopback only). A proxy put in front names its
    # address here (docs/operations.md, Client addresses).
    "FORWARDED_ALLOW_IPS": "${FORWARDED_ALLOW_IPS:-127.0.0.1}",
}

# The app's containers: nothing written but /tmp (a tmpfs), no capability, no privilege gained.
HARDENED: dict[str, Any] = {
    "read_only": True,
    "tmpfs": ["/tmp"],
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges:true"],
}


def limits(cpus: str, memory: str) -> dict[str, Any]:
    """A container's resource limits (as the Kubernetes manifests give its pod)."""
    return {"deploy": {"resources": {"limits": {"cpus": cpus, "memory": memory}}}}


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
    **limits("1", "1G"),
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
    environment: dict[str, str] = {}  # what the features add to the API's
    backing: dict[str, Any] = {}
    for feature in features:
        environment.update(feature.compose_environment)
        backing.update({name: dict(spec) for name, spec in feature.compose_services.items()})
    read_by_worker = {setting.name for f in features for setting in f.worker_settings}
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
            "environment": {**PROCESS_ENVIRONMENT, **API_ENVIRONMENT, **environment},
            "depends_on": depends_on,
            "healthcheck": API_HEALTHCHECK,
            "restart": "unless-stopped",
            **HARDENED,
            **limits("1", "512M"),
        },
        "db": DATABASE,
        **backing,
    }
    for feature in features:
        for name, command in feature.compose_processes.items():
            services[name] = {
                "image": f"{slug}:latest",
                "command": list(command),
                "environment": {
                    **PROCESS_ENVIRONMENT,
                    **{k: v for k, v in environment.items() if k in read_by_worker},
                },
                "depends_on": {**depends_on, "api": healthy},
                "restart": "unless-stopped",
                "stop_grace_period": PROCESS_STOP_GRACE_PERIOD,
                **HARDENED,
                **limits("1", "512M"),
            }
    compose: dict[str, Any] = {"name": slug, "services": services, "volumes": {"postgres_data": {}}}
    return {key: _substitute(value, slug) for key, value in compose.items()}
