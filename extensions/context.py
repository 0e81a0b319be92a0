"""The ContextHook: what the answers pull into a rendered service, as context variables.

Templates never re-derive a feature from raw answers; they read what is assembled here from
the feature table (extensions/features.py), the core (core.py), compose.py and kubernetes.py:

- ``features``: names of the enabled features, for conditional file names
  (``{% if "cache" in features %}cache.py{% endif %}``); ``feature_summaries`` for the README,
  and ``features_not_chosen`` with the answers that turn each on;
- ``dependencies`` / ``dev_dependencies``: pyproject lists;
- ``settings_classes``: the settings classes joined into ``AppSettings``;
  ``feature_settings``: the lines of ``.env.example``; ``test_settings`` / ``test_plugins``:
  what the generated tests export and load; ``production_required``: the variables a
  production start refuses to go without (the after-copy message, README and tests name them);
- ``integrations`` / ``integration_order``: the modules ``app/bootstrap/integrations.py`` wires;
  ``server_hooks``: gunicorn hooks; ``rate_limit_backend``; ``mail_sender`` (who sends mail);
- ``compose``: the whole docker-compose file; ``ci_services``: services the CI jobs start;
- ``kubernetes_*``: what ``deploy/kubernetes/`` renders;
- ``python_image``, ``uv_image``, ``python_target``;
- ``published_key_digests``: the keys the template's own files publish (published.py).
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copier_template_extensions import ContextHook

# Copier's loader imports this file by path, outside any package, so its neighbours cannot be
# imported by name. They are imported as a package of their own, afresh each time this file is
# (one process may render several versions of the template, e.g. `copier update`).
_PACKAGE = "fastapi_template_extensions"


def _import_neighbours() -> None:
    for name in [n for n in sys.modules if n == _PACKAGE or n.startswith(f"{_PACKAGE}.")]:
        del sys.modules[name]
    package = types.ModuleType(_PACKAGE)
    package.__path__ = [str(Path(__file__).resolve().parent)]
    sys.modules[_PACKAGE] = package
    importlib.invalidate_caches()


if TYPE_CHECKING:
    from . import compose, core, features, kubernetes, published, sources
else:
    _import_neighbours()
    compose = importlib.import_module(f"{_PACKAGE}.compose")
    core = importlib.import_module(f"{_PACKAGE}.core")
    features = importlib.import_module(f"{_PACKAGE}.features")
    kubernetes = importlib.import_module(f"{_PACKAGE}.kubernetes")
    published = importlib.import_module(f"{_PACKAGE}.published")
    sources = importlib.import_module(f"{_PACKAGE}.sources")


def settings_classes(ordered: list[features.Feature]) -> list[tuple[str, str]]:
    """(module, class) of each enabled feature's settings, latest-wired first: a feature wired
    after another may extend its settings class, and a subclass must precede its base."""
    pairs: list[tuple[str, str]] = []
    for feature in reversed(ordered):
        if feature.settings_class:
            module, name = feature.settings_class.split(":", 1)
            if (module, name) not in pairs:
                pairs.append((module, name))
    return pairs


def integrations(ordered: list[features.Feature]) -> list[tuple[str, str, str]]:
    """(package, module, alias): `from package import module as alias_integration`, sorted as
    isort sorts them."""
    found: list[tuple[str, str, str]] = []
    for feature in ordered:
        if feature.integration:
            package, module = feature.integration.rsplit(".", 1)
            found.append((package, module, feature.name))
    return sorted(found)


def server_hooks(ordered: list[features.Feature]) -> list[tuple[str, str]]:
    """(module, hook) pairs for gunicorn; two features may not claim the same hook."""
    owners: dict[str, str] = {}
    for feature in ordered:
        for hook, module in feature.server_hooks.items():
            if hook in owners:
                raise ValueError(f"gunicorn hook {hook} claimed by {owners[hook]} and {module}")
            owners[hook] = module
    return sorted((module, hook) for hook, module in owners.items())


def _data_options(answers: Mapping[str, Any]) -> str:
    """Answers as `copier update` takes them: `--data redis=true --data cache=true`."""
    return " ".join(
        f"--data {question}={str(value).lower() if isinstance(value, bool) else value}"
        for question, value in answers.items()
    )


def _with_slug(setting: sources.Setting, slug: str) -> sources.Setting:
    return replace(setting, example=setting.example.replace("{slug}", slug))


class ContextUpdater(ContextHook):
    def hook(self, context: dict[str, Any]) -> None:
        python_version = str(context.get("python_version"))
        if python_version not in core.PYTHON_IMAGE_DIGESTS:
            # Question defaults are rendered before every answer exists, and an unsupported
            # version is refused by the question's choices after this runs.
            return
        try:
            enabled = features.enabled_features(context)
        except KeyError:
            return  # a question not answered yet: no file is being rendered
        slug = str(context.get("project_slug", ""))
        context.update(_derived(python_version, slug, tuple(f.name for f in enabled)))


# Copier runs the hook for every file it renders (over a thousand times a render): what the
# answers derive is computed once per answer set.
@functools.cache
def _derived(python_version: str, slug: str, names: tuple[str, ...]) -> dict[str, Any]:
    enabled = [features.BY_NAME[name] for name in names]
    ordered = features.wiring_order(enabled)
    digest = core.PYTHON_IMAGE_DIGESTS[python_version]
    return dict(
        python_target="py" + python_version.replace(".", ""),
        python_image=f"python:{python_version}-slim@{digest}",
        uv_image=f"{core.UV_IMAGE}@{core.UV_IMAGE_DIGEST}",
        features=list(names),
        feature_summaries=[(f.name, f.summary) for f in enabled],
        features_not_chosen=[
            (f.name, f.summary, _data_options(f.example))
            for f in features.FEATURES
            if f.name not in names
        ],
        dependencies=sorted(
            {*core.CORE_DEPENDENCIES, *(d for f in enabled for d in f.dependencies)},
            key=str.lower,
        ),
        dev_dependencies=sorted(
            {*core.CORE_DEV_DEPENDENCIES, *(d for f in enabled for d in f.dev_dependencies)},
            key=str.lower,
        ),
        settings_classes=settings_classes(ordered),
        feature_settings=[
            (f.name, [_with_slug(setting, slug) for setting in f.settings])
            for f in enabled
            if f.settings
        ],
        test_settings=[item for f in enabled for item in f.test_environment.items()],
        production_required=features.production_required(enabled),
        production_test_settings=[
            item for f in enabled for item in f.production_test_environment.items()
        ],
        test_plugins=[plugin for f in enabled for plugin in f.test_plugins],
        integrations=integrations(ordered),
        integration_order=[f.name for f in ordered if f.integration],
        server_hooks=server_hooks(ordered),
        rate_limit_backend=(
            None
            if "rate_limit" not in names
            else "redis"
            if "rate_limit_redis" in names
            else "memory"
        ),
        mail_sender=(
            None if "email" not in names else "worker" if "email_worker" in names else "process"
        ),
        compose=compose.compose_file(enabled, slug),
        ci_services=sorted(
            (
                asdict(s)
                for s in [*core.CORE_CI_SERVICES, *(s for f in enabled for s in f.ci_services)]
            ),
            key=lambda service: str(service["name"]),
        ),
        kubernetes_config=kubernetes.config(enabled, slug),
        kubernetes_secret_env=kubernetes.secret_env(enabled, slug),
        kubernetes_migrate_secret_env=kubernetes.secret_env(enabled, slug, pod="migrate"),
        kubernetes_worker_secret_env=kubernetes.secret_env(enabled, slug, pod="worker"),
        kubernetes_egress=kubernetes.egress(enabled),
        kubernetes_secret_examples=kubernetes.secret_examples(enabled),
        kubernetes_manifests=kubernetes.manifests(enabled),
        kubernetes_memory_volumes=kubernetes.memory_volumes(enabled),
        published_key_digests=list(published.published_digests()),
    )
