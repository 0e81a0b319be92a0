"""The suite mirrors app/: the tests of app/<layer>/ live in tests/test_<layer>/, so a module's
tests are found beside its layer's. Only what no single layer owns has a folder of its own."""

from __future__ import annotations

from pathlib import Path

# Imports nothing of the service: the template's own tests check its unrendered tree with it.
PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Test folders that mirror no layer, each with what it holds.
CROSS_LAYER = {
    "test_end_to_end": "HTTP flows through every layer, migrations against the models, scripts",
}

# Tests of the project as a whole, beside conftest.py.
PROJECT_TESTS = frozenset(
    {"test_database_prefix.py", "test_layers.py", "test_layout.py", "test_template_set_aside.py"}
)


def layers(root: Path) -> set[str]:
    return {path.name for path in (root / "app").iterdir() if (path / "__init__.py").is_file()}


def layout_problems(root: Path) -> list[str]:
    tests = root / "tests"
    known = {f"test_{layer}" for layer in layers(root)} | CROSS_LAYER.keys()
    problems = [
        f"tests/{folder.name}/ mirrors no layer of app/: name it test_<layer> after the layer "
        f"its tests test, or add it to CROSS_LAYER in tests/test_layout.py"
        for folder in sorted(tests.glob("test_*"))
        if folder.is_dir() and folder.name not in known
    ]
    problems += [
        f"tests/{module.name} belongs in the tests/test_<layer>/ of the layer it tests"
        for module in sorted(tests.glob("test_*.py"))
        if module.name not in PROJECT_TESTS
    ]
    return problems


def test_the_tests_mirror_app() -> None:
    assert layout_problems(PROJECT_ROOT) == []


def test_a_folder_named_after_no_layer_and_a_loose_module_are_named(tmp_path: Path) -> None:
    for folder in ("app/core", "tests/test_core", "tests/test_helpers"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "app/core/__init__.py").touch()
    (tmp_path / "tests/test_config.py").touch()

    assert layout_problems(tmp_path) == [
        "tests/test_helpers/ mirrors no layer of app/: name it test_<layer> after the layer its "
        "tests test, or add it to CROSS_LAYER in tests/test_layout.py",
        "tests/test_config.py belongs in the tests/test_<layer>/ of the layer it tests",
    ]
