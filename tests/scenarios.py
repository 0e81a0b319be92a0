"""Named answer sets, and what each option must add to a render (and nothing else may).

Everything here is read from the feature table (extensions/features.py) and copier.yml: each
feature's `example` answers make a scenario of their own, its `files` (derived from the
conditional names of template/, extensions/sources.py) and `dependencies` are what a render must
contain exactly when it is on. tests/options/test_features.py checks the derivation;
tests/options/test_matrix.py checks renders against the table.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from extensions.features import FEATURES, all_on, enabled_features
from extensions.sources import conditional_files, features_named, rendered_path, template_files
from tests.helpers import TEMPLATE_ROOT

QUESTIONS: dict[str, Any] = {
    name: spec
    for name, spec in yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text()).items()
    if not name.startswith("_")
}


def _off_answer(question: str) -> Any:
    """False for a bool; otherwise the first choice no feature's example uses, or the default
    when each choice turns some feature on (auth: builtin or oidc)."""
    spec = QUESTIONS[question]
    if spec.get("type") == "bool":
        return False
    used = [f.example[question] for f in FEATURES if question in f.example]
    return next((choice for choice in spec["choices"] if choice not in used), spec["default"])


# Every question a feature depends on, at the answer that turns nothing on.
MINIMAL: dict[str, Any] = {
    question: _off_answer(question)
    for question in QUESTIONS
    if any(question in feature.example for feature in FEATURES)
}
# Every feature on that can be (of two alternatives, the one the table declares first).
ALL_ON: dict[str, Any] = all_on(MINIMAL)


def on_top_of_minimal(**answers: Any) -> dict[str, Any]:
    return {**MINIMAL, **answers}


def feature_examples() -> dict[str, dict[str, Any]]:
    """Each feature's example answers by feature name, skipping an example another feature
    already has (template_updates shows with ci_github's) and one all-off already answers
    (accounts: auth=builtin, the default every all-off render shows)."""
    examples: dict[str, dict[str, Any]] = {}
    for feature in FEATURES:
        if on_top_of_minimal(**feature.example) == MINIMAL:
            continue
        if dict(feature.example) not in examples.values():
            examples[feature.name] = dict(feature.example)
    return examples


# Each feature alone, pairs that share files or resources, everything on, everything off, and
# the defaults.
SCENARIOS: dict[str, dict[str, Any]] = {
    "all-off": MINIMAL,
    "default": {},
    "all-on": ALL_ON,
    **{
        name.replace("_", "-"): on_top_of_minimal(**example)
        for name, example in feature_examples().items()
    },
    # Interacting pairs.
    "cache+rate-limit-redis": on_top_of_minimal(redis=True, cache=True, rate_limit="redis"),
    "cache+worker": on_top_of_minimal(redis=True, cache=True, worker="taskiq"),
    "tracing+cache": on_top_of_minimal(tracing=True, redis=True, cache=True),
    "metrics+rate-limit-memory": on_top_of_minimal(metrics=True, rate_limit="memory"),
    "sentry+tracing": on_top_of_minimal(sentry=True, tracing=True),
    "worker+rate-limit-redis": on_top_of_minimal(redis=True, worker="taskiq", rate_limit="redis"),
    "ci-github+redis": on_top_of_minimal(ci="github", redis=True),
    "ci-gitlab+worker": on_top_of_minimal(ci="gitlab", redis=True, worker="taskiq"),
    # The provider's tokens with every other option that can go with them (mail cannot).
    "all-on-oidc": {**ALL_ON, "auth": "oidc", "email": False},
}

# The scenarios whose deploy/kubernetes/ manifests tests/options/test_kubernetes.py validates.
KUBERNETES_SCENARIOS = sorted(
    name for name, answers in SCENARIOS.items() if answers.get("deploy") == "kubernetes"
)


def distribution(requirement: str) -> str:
    """The distribution name of a requirement: "redis>=8.1,<9" -> "redis"."""
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


# option -> (files it adds, distributions it adds to [project].dependencies)
OPTION_CONTENT: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    feature.name: (
        frozenset(feature.files),
        frozenset(distribution(requirement) for requirement in feature.dependencies),
    )
    for feature in FEATURES
}


def options_on(answers: dict[str, Any]) -> set[str]:
    """Which features (rows of OPTION_CONTENT) a set of answers turns on; unanswered questions
    take their copier.yml default."""
    defaults = {name: spec.get("default") for name, spec in QUESTIONS.items()}
    return {feature.name for feature in enabled_features({**defaults, **answers})}


# --------------------------------------------------------------------------- the template's files


# Files every render has, and files that exist only under a condition (rendered path -> the
# template paths that can produce it).
CORE_FILES: frozenset[str] = frozenset(
    rendered_path(path) for path in template_files() if "{%" not in path
)
CONDITIONAL_FILES: dict[str, tuple[str, ...]] = conditional_files()


def _features_named(rendered: str) -> set[str]:
    """The features every condition of a conditional path names, e.g. rate_limit and accounts
    for a test of the login's limits (one of alternatives' paths: each names the same)."""
    return {name for path in CONDITIONAL_FILES[rendered] for name in features_named(path)}


def expected_files(answers: dict[str, Any]) -> set[str]:
    """What a render of these answers contains: the core's files and its features' files (a
    file two features name, with both on)."""
    on = options_on(answers)
    return set(CORE_FILES) | {
        path for f in FEATURES if f.name in on for path in f.files if _features_named(path) <= on
    }
