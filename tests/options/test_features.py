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
from extensions.sources import (
    TEMPLATE_DIR,
    Setting,
    class_settings,
    feature_tests,
    owner,
    rendered_path,
    template_files,
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

CONDITION = re.compile(r"\{%-?\s*if\b(.*?)-?%\}")
FEATURE_TEST = re.compile(r"'(\w+)'\s+in\s+features\b")


def test_all_off_turns_nothing_on_and_all_on_everything_but_alternatives() -> None:
    # Nothing but a feature no answer turns off, only trades for another (auth: builtin's
    # accounts or a provider's tokens): each of its questions' choices turns some feature on.
    for feature in enabled_features(MINIMAL):
        for question in feature.example:
            for choice in QUESTIONS[question]["choices"]:
                assert enabled_features({**MINIMAL, question: choice}), (feature.name, choice)
    for feature in FEATURES:
        if feature.name not in options_on(ALL_ON):  # only when another answer excludes it
            assert any(ALL_ON[q] != answer for q, answer in feature.example.items()), feature.name


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_each_example_turns_its_feature_on_with_valid_answers(feature: Feature) -> None:
    answers = {**MINIMAL, **feature.example}

    assert feature.when(answers)
    # A feature all-off has (accounts) shows in all-off itself.
    assert not feature.when(MINIMAL) or answers == MINIMAL
    for question, answer in feature.example.items():
        spec = QUESTIONS[question]
        allowed = [False, True] if spec.get("type") == "bool" else spec["choices"]
        assert answer in allowed, (question, answer)


def test_every_answer_set_of_the_scenarios_needs_only_declared_questions() -> None:
    for name, answers in SCENARIOS.items():
        assert set(answers) <= set(QUESTIONS), name


def test_each_feature_owns_exactly_the_paths_whose_condition_names_it() -> None:
    """Feature.files is derived from the conditional names (extensions/sources.py); checked here
    against a reading of the names of its own."""
    owners = {path: f.name for f in FEATURES for path in f.files}

    assert set(owners) == set(CONDITIONAL_FILES), "every conditional path has one owner"
    assert not CORE_FILES & set(owners), "owned files that every render has"
    for rendered, template_paths in CONDITIONAL_FILES.items():
        for template_path in template_paths:
            named = [
                name
                for condition in CONDITION.findall(template_path)
                for name in FEATURE_TEST.findall(condition)
            ]
            assert named, f"{template_path}: its condition names no feature"
            # The last feature the conditions name owns the file (a file of two features, e.g.
            # `'rate_limit_redis' in features and 'rate_limit_credentials' in features`, is the
            # latter's).
            assert named[-1] == owners[rendered], (template_path, owners[rendered])


def test_a_condition_that_names_no_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="names no feature"):
        owner("app/{% if rate_limit_backend == 'redis' %}storage.py{% endif %}")
    assert (
        owner("app/{% if 'a' in features %}x{% endif %}/{% if 'b' in features %}y.py{% endif %}")
        == "b"
    )
    assert owner("app/main.py") is None


def test_each_shared_file_a_feature_changes_is_listed_in_it() -> None:
    """A file a feature does not own but whose text tests `'<feature>' in features` is one of
    its `shared_files`, and each listed file does test it."""
    mentions: dict[str, set[str]] = {}
    for template_path in template_files():
        text = (TEMPLATE_DIR / template_path).read_text(encoding="utf-8", errors="replace")
        for name in set(feature_tests(text)) - {owner(template_path)}:
            mentions.setdefault(name, set()).add(rendered_path(template_path))

    assert set(mentions) <= set(BY_NAME), "files test features the table does not declare"
    for feature in FEATURES:
        assert sorted(mentions.get(feature.name, ())) == sorted(feature.shared_files), feature.name


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
        (_with("cache", integration="app.integrations.kafka"), "names app.integrations.kafka"),
        (
            _with("cache", test_environment={"REDIS_URL": '"redis://x"'}),
            "cache gives REDIS_URL a test value, not one of its settings",
        ),
        (
            _with("cache", shared_files=("app/integrations/cache.py",)),
            "cache lists app/integrations/cache.py among its shared files, but owns it",
        ),
        (_with("sentry", settings_class="app.integrations.redis:RedisSettings"), "declared by"),
        ((*FEATURES, FEATURES[0]), "redis is declared twice"),
        (tuple(f for f in FEATURES if f.name != "sentry"), "names files after sentry, no such"),
    ],
    ids=[
        "unknown-after",
        "circle",
        "module-not-owned",
        "test-value",
        "shared-owned",
        "setting-twice",
        "name-twice",
        "files-unowned",
    ],
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


SETTINGS_SOURCE = """
from pydantic import Field, SecretStr, model_validator

from app.core.config import SERVICE_NAME, Settings, require_in_production


class KafkaSettings(Settings):
    # A comment says why; the description is the variable's documentation.
    KAFKA_URL: str = Field(
        default="kafka://localhost", description="Brokers", json_schema_extra={"secret": True}
    )
    KAFKA_TOKEN: SecretStr | None = Field(default=None, description="Token")
    KAFKA_TOPICS: list[str] = Field(default=["a", "b"], description="Topics")
    KAFKA_PREFIX: str = Field(default=SERVICE_NAME, description="Prefix")
    KAFKA_TIMEOUT_SECONDS: float = Field(default=10.0, description="Timeout", examples=["10"])
    KAFKA_ENABLED: bool = Field(default=False, description="On")

    @model_validator(mode="after")
    def name_kafka_in_production(self) -> "KafkaSettings":
        require_in_production(self, "KAFKA_URL")
        return self
"""


def _settings_of(tmp_path: Path, source: str) -> tuple[Setting, ...]:
    package = tmp_path / "app" / "integrations"
    package.mkdir(parents=True)
    (package / "{% if 'kafka' in features %}kafka.py{% endif %}").write_text(source)
    return class_settings("app.integrations.kafka:KafkaSettings", root=tmp_path)


def test_settings_are_read_from_their_fields(tmp_path: Path) -> None:
    assert _settings_of(tmp_path, SETTINGS_SOURCE) == (
        Setting(
            "KAFKA_URL", "kafka://localhost", "Brokers", secret=True, required_in_production=True
        ),
        Setting("KAFKA_TOKEN", "", "Token", secret=True),
        Setting("KAFKA_TOPICS", "a,b", "Topics"),
        Setting("KAFKA_PREFIX", "{slug}", "Prefix"),
        Setting("KAFKA_TIMEOUT_SECONDS", "10", "Timeout"),
        Setting("KAFKA_ENABLED", "false", "On"),
    )


def test_every_name_a_production_requirement_gives_is_required(tmp_path: Path) -> None:
    source = SETTINGS_SOURCE.replace(
        'require_in_production(self, "KAFKA_URL")',
        'require_in_production(self, "KAFKA_URL", "KAFKA_TOPICS", hint="the brokers")',
    )

    required = {s.name for s in _settings_of(tmp_path, source) if s.required_in_production}

    assert required == {"KAFKA_URL", "KAFKA_TOPICS"}


def test_a_setting_without_a_description_is_refused(tmp_path: Path) -> None:
    source = SETTINGS_SOURCE.replace('description="Token"', "max_length=10")
    with pytest.raises(ValueError, match=r"KAFKA_TOKEN: no description="):
        _settings_of(tmp_path, source)


def test_every_option_setting_is_described_by_its_field() -> None:
    """The table's settings are the fields of each settings class, in their order there."""
    for feature in FEATURES:
        if feature.settings_class:
            assert feature.settings, feature.name
            assert all(setting.doc for setting in feature.settings), feature.name
