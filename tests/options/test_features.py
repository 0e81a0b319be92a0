"""The feature table (extensions/features.py) agrees with itself, with copier.yml and with the
files of template/, without rendering anything. Renders are checked against it in
tests/options/test_matrix.py."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from extensions.features import (
    BY_NAME,
    FEATURES,
    Feature,
    check_table,
    enabled_features,
    wiring_order,
)
from tests.helpers import TEMPLATE_ROOT
from tests.scenarios import (
    ALL_ON,
    CONDITIONAL_FILES,
    CORE_FILES,
    MINIMAL,
    QUESTIONS,
    SCENARIOS,
    options_on,
)

FEATURE_CONDITION = re.compile(r"\{%-?\s*if\s+'(\w+)'\s+in\s+features\s*-?%\}")


def test_all_off_turns_nothing_on_and_all_on_everything_but_alternatives() -> None:
    assert enabled_features(MINIMAL) == []
    for feature in FEATURES:
        if feature.name not in options_on(ALL_ON):  # only when another answer excludes it
            assert any(ALL_ON[q] != answer for q, answer in feature.example.items()), feature.name


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_each_example_turns_its_feature_on_with_valid_answers(feature: Feature) -> None:
    answers = {**MINIMAL, **feature.example}

    assert feature.when(answers)
    assert not feature.when(MINIMAL)
    for question, answer in feature.example.items():
        spec = QUESTIONS[question]
        allowed = [False, True] if spec.get("type") == "bool" else spec["choices"]
        assert answer in allowed, (question, answer)


def test_every_answer_set_of_the_scenarios_needs_only_declared_questions() -> None:
    for name, answers in SCENARIOS.items():
        assert set(answers) <= set(QUESTIONS), name


def test_every_conditional_template_path_belongs_to_exactly_one_feature() -> None:
    owners = {path: f.name for f in FEATURES for path in f.files}

    unowned = sorted(set(CONDITIONAL_FILES) - set(owners))
    assert unowned == [], "conditional files no feature declares"
    missing = sorted(set(owners) - set(CONDITIONAL_FILES))
    assert missing == [], "declared files no conditional template path renders"
    assert not CORE_FILES & set(owners), "declared files that every render has"
    for rendered, template_paths in CONDITIONAL_FILES.items():
        for template_path in template_paths:
            named = FEATURE_CONDITION.findall(template_path)
            if named:  # the innermost condition on a feature names the file's owner
                assert named[-1] == owners[rendered], (template_path, owners[rendered])


def test_wiring_order_follows_after_and_then_names() -> None:
    ordered = [f.name for f in wiring_order(enabled_features(ALL_ON))]

    for position, name in enumerate(ordered):
        placed = set(ordered[:position])
        assert set(BY_NAME[name].after) & set(ordered) <= placed, name
        # Of the features that could go here, the first by name.
        ready = [n for n in ordered[position:] if set(BY_NAME[n].after) & set(ordered) <= placed]
        assert name == min(ready), (name, ready)
    # What depends on the order: Redis opens before what uses it; metrics wrap the limiter.
    for before, after in [
        ("redis", "cache"),
        ("redis", "rate_limit"),
        ("redis", "worker"),
        ("tracing", "tracing_redis"),
        ("rate_limit", "metrics"),
    ]:
        assert ordered.index(before) < ordered.index(after), (before, after)


def _with(name: str, **changes: Any) -> tuple[Feature, ...]:
    return tuple(dataclasses.replace(f, **changes) if f.name == name else f for f in FEATURES)


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        (_with("cache", after=("kafka",)), "cache: after kafka, no such feature"),
        (_with("redis", after=("cache",)), "`after` runs in a circle"),
        (_with("cache", files=("app/integrations/redis.py",)), "owned by redis and cache"),
        (_with("cache", integration="app.integrations.kafka"), "names app.integrations.kafka"),
        (_with("cache", settings_class=None), "cache declares settings but no settings_class"),
        ((*FEATURES, FEATURES[0]), "redis is declared twice"),
    ],
    ids=["unknown-after", "circle", "file-twice", "module-not-owned", "settings", "name-twice"],
)
def test_a_contradictory_table_is_refused(table: tuple[Feature, ...], complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        check_table(table)


def test_copier_loads_the_extensions_as_a_package_of_their_own() -> None:
    """copier-template-extensions imports context.py by path; its neighbours must import too,
    afresh from the same folder (not from a copy of the template imported earlier)."""
    path = TEMPLATE_ROOT / "extensions" / "context.py"
    for attempt in range(2):
        spec = importlib.util.spec_from_file_location("copier_template_extensions.context", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        assert Path(module.features.__file__) == path.with_name("features.py"), attempt
    context: dict[str, Any] = {"_copier_conf": {}, "python_version": "3.12", **ALL_ON}
    hook = module.ContextUpdater.__new__(module.ContextUpdater)  # no Jinja environment
    hook.hook(context)
    assert context["features"] == [f.name for f in enabled_features(ALL_ON)]
    # Subclasses before their bases (WorkerSettings and CacheSettings extend RedisSettings).
    classes = [name for _, name in context["settings_classes"]]
    assert classes.index("WorkerSettings") < classes.index("RedisSettings")
    assert classes.index("CacheSettings") < classes.index("RedisSettings")
    assert len(classes) == len(set(classes))
