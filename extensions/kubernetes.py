"""What deploy/kubernetes/ renders from the enabled features: ConfigMap entries, Secret
references and their placeholders, the kustomization's manifests, the pods' volumes and the
destinations their NetworkPolicies open.

A setting marked `secret` comes from the Secret `<slug>-secrets`; every other one is in the
ConfigMap with its .env.example value, except those production requires, which the ConfigMap
leaves empty for the deployer to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .features import Feature

# Core settings a production deployment must supply from a Secret (the rest of the core settings
# have production defaults or come from the ConfigMap in deploy/kubernetes/configmap.yaml).
CORE_SECRETS: tuple[tuple[str, str], ...] = (
    ("DATABASE_URL", "postgresql://app:change-me@postgres:5432/app"),
)
# What secret.example.yaml shows for a secret whose .env.example line is empty, where "change-me"
# would not read as what to put there. Each is refused (the password by the password policy).
SECRET_PLACEHOLDERS: dict[str, str] = {
    "FIRST_SUPERUSER_EMAIL": "admin@example.com",
    "FIRST_SUPERUSER_PASSWORD": "changeme",
}


def secret_env(features: Iterable[Feature], slug: str, *, pod: str = "api") -> list[dict[str, Any]]:
    """Container `env` entries reading each secret setting a pod reads from the Secret
    `<slug>-secrets`: the API's (every setting but those marked `migrate_only`), the migrate
    Job's (those too: the first admin's password reaches no API pod), or the worker's (only its
    settings: its process loads nothing else).

    Settings production requires are required keys (a missing key stops the pod before it
    starts); optional secrets (e.g. SENTRY_DSN) are `optional: true`.
    """
    features = list(features)
    if pod == "worker":
        entries = [
            (setting.name, setting.required_in_production)
            for feature in features
            for setting in feature.worker_settings
            if setting.secret
        ]
    else:
        secrets = [s for feature in features for s in feature.settings if s.secret]
        entries = [(name, True) for name, _ in CORE_SECRETS] + [
            (setting.name, setting.required_in_production)
            for setting in secrets
            if not setting.migrate_only
        ]
        if pod == "migrate":
            entries += [(s.name, s.required_in_production) for s in secrets if s.migrate_only]
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


def secret_examples(features: Iterable[Feature]) -> list[tuple[str, str]]:
    """Placeholder values for deploy/kubernetes/secret.example.yaml (never applied as is)."""
    examples = list(CORE_SECRETS)
    migrate_only = []
    for feature in features:
        for setting in feature.settings:
            if setting.secret:
                # The value a container beside the service would use, e.g. redis://redis:6379/0;
                # where compose requires the operator's own value, a placeholder the service
                # refuses; where compose makes it optional (SMTP_PASSWORD: a relay without
                # authentication), its default, so the example sets nothing by mistake.
                value = feature.compose_environment.get(setting.name, setting.example)
                if "${" in value:
                    optional = _compose_default(feature, setting.name)
                    value = "change-me" if optional is None else optional
                value = SECRET_PLACEHOLDERS.get(setting.name, value)
                (migrate_only if setting.migrate_only else examples).append((setting.name, value))
    return examples + migrate_only


def _compose_default(feature: Feature, name: str) -> str | None:
    """The default docker-compose.yml gives a variable (`${NAME:-value}`), if it gives one."""
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", feature.compose_environment.get(name, ""))
    return match[1] if match else None


def config(features: Iterable[Feature], slug: str) -> list[dict[str, Any]]:
    """ConfigMap entries: every non-secret setting of the enabled features, with the value a
    production deployment starts from (compose's default where it gives one, e.g. SMTP_PORT 587,
    otherwise the .env.example value). Those production requires are left empty: the service
    refuses to start until the deployer sets them, where a development default would pass."""
    entries = []
    for feature in features:
        for setting in feature.settings:
            if setting.secret:
                continue
            value = _compose_default(feature, setting.name) or setting.example
            if setting.required_in_production:
                value = ""
            elif value == "":
                continue
            entries.append(
                {
                    "name": setting.name,
                    "value": value.replace("{slug}", slug),
                    "required": setting.required_in_production,
                    "doc": setting.doc,
                }
            )
    return entries


# The database every deployment has: the API and the migrate Job reach it, the worker does not.
DATABASE_EGRESS: dict[str, Any] = {
    "name": "database",
    "port": 5432,
    "pods": ["api", "migrate"],
    "doc": "your PostgreSQL (DATABASE_URL)",
}


def egress(features: Iterable[Feature]) -> list[dict[str, Any]]:
    """The destinations outside DNS the pods connect to, each with the pods that do (among
    those deployed): the database, then each enabled feature's, a later feature's replacing an
    earlier one of the same name."""
    features = list(features)
    deployed = {"api", "migrate"} | (
        {"worker"} if any(f.name == "kubernetes_worker" for f in features) else set()
    )
    found: dict[str, dict[str, Any]] = {"database": DATABASE_EGRESS}
    for feature in features:
        for destination in feature.kubernetes_egress:
            found[destination.name] = asdict(destination)
    return [
        {**entry, "pods": [pod for pod in entry["pods"] if pod in deployed]}
        for entry in found.values()
        if set(entry["pods"]) & deployed
    ]


def manifests(features: Iterable[Feature]) -> list[str]:
    return sorted({name for feature in features for name in feature.kubernetes_manifests})


def memory_volumes(features: Iterable[Feature]) -> list[dict[str, str]]:
    return [
        {"name": v.name, "variable": v.variable, "path": v.path, "doc": v.doc}
        for feature in features
        for v in feature.kubernetes_memory_volumes
    ]
