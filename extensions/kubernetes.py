"""What deploy/kubernetes/ renders from the enabled features: ConfigMap entries, Secret
references and their placeholders, the kustomization's manifests and the pods' volumes.

A setting marked `secret` comes from the Secret `<slug>-secrets`; every other one is in the
ConfigMap with its .env.example value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .features import Feature

# Core settings a production deployment must supply from a Secret (the rest of the core settings
# have production defaults or come from the ConfigMap in deploy/kubernetes/configmap.yaml).
CORE_SECRETS: tuple[tuple[str, str], ...] = (
    ("SECRET_KEY", "change-me-to-48-random-characters"),
    ("DATABASE_URL", "postgresql://app:change-me@postgres:5432/app"),
)
# Read by the migrate Job alone (scripts/migrate.sh creates the first admin from them), so the
# API pods never hold the admin's password. Optional: without them no admin is created. The
# password placeholder is one the production password policy refuses.
MIGRATE_SECRETS: tuple[tuple[str, str], ...] = (
    ("FIRST_SUPERUSER_EMAIL", "admin@example.com"),
    ("FIRST_SUPERUSER_PASSWORD", "changeme"),
)


def secret_env(
    features: Iterable[Feature], slug: str, *, migrate: bool = False
) -> list[dict[str, Any]]:
    """Container `env` entries reading each secret setting from the Secret `<slug>-secrets`
    (with `migrate`, the migrate Job's, which adds MIGRATE_SECRETS).

    Settings production requires are required keys (a missing key stops the pod before it
    starts); optional secrets (e.g. SENTRY_DSN) are `optional: true`.
    """
    entries = [(name, True) for name, _ in CORE_SECRETS] + [
        (setting.name, setting.required_in_production)
        for feature in features
        for setting in feature.settings
        if setting.secret
    ]
    if migrate:
        entries += [(name, False) for name, _ in MIGRATE_SECRETS]
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
    for feature in features:
        for setting in feature.settings:
            if setting.secret:
                # The value a container beside the service would use, e.g. redis://redis:6379/0;
                # where compose passes the operator's own value through, a placeholder the
                # service refuses.
                value = feature.compose_environment.get(setting.name, setting.example)
                if "${" in value:
                    value = "change-me"
                examples.append((setting.name, value))
    return examples + list(MIGRATE_SECRETS)


def config(features: Iterable[Feature], slug: str) -> list[tuple[str, str]]:
    """ConfigMap entries: every non-secret setting of the enabled features, as in .env.example."""
    return [
        (setting.name, setting.example.replace("{slug}", slug))
        for feature in features
        for setting in feature.settings
        if not setting.secret and setting.example != ""
    ]


def manifests(features: Iterable[Feature]) -> list[str]:
    return sorted({name for feature in features for name in feature.kubernetes_manifests})


def memory_volumes(features: Iterable[Feature]) -> list[dict[str, str]]:
    return [
        {"name": v.name, "variable": v.variable, "path": v.path, "doc": v.doc}
        for feature in features
        for v in feature.kubernetes_memory_volumes
    ]
