"""Every command the docs show is exercised: tests/docs/commands.toml says how, and is checked."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from tests.docs.commands import (
    REGISTRY,
    Run,
    commands_in,
    documented_commands,
    load_registry,
)
from tests.modules import load_module

COMMANDS = load_registry()


def _function(reference: str) -> Any:
    path, name = reference.split("::")
    function = getattr(load_module(path), name, None)
    assert callable(function), f"{reference} does not exist"
    return function


def _documented_calls(function: Any) -> set[str]:
    tree = ast.parse(inspect.getsource(function).lstrip())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "documented"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_documented_command_is_exercised() -> None:
    shown = documented_commands()

    unmapped = {command: files for command, files in shown.items() if command not in COMMANDS}

    assert shown, "no shell commands found in the docs"
    assert unmapped == {}, (
        f"add these to {REGISTRY.relative_to(REGISTRY.parents[2])}, with the test that runs them"
    )


def test_no_mapping_outlives_its_command() -> None:
    stale = set(COMMANDS) - set(documented_commands())

    assert stale == set(), f"no longer shown in the docs; remove from {REGISTRY.name}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_mapping_names_a_test_that_exercises_it(command: str) -> None:
    exercise = COMMANDS[command]
    if isinstance(exercise, Run):
        assert exercise.test.startswith("tests/docs/test_"), (
            f"{exercise.test}: commands are run for real by the docs tests"
        )
        function = _function(exercise.test)
        assert function.__name__.startswith("test_")
        assert command in _documented_calls(function), (
            f"{exercise.test} must run documented({command!r})"
        )
        return
    for reference, fragments in exercise.by:
        source = inspect.getsource(_function(reference))
        for fragment in fragments:
            assert fragment in source, f"{reference} no longer contains {fragment!r}"


def test_extraction_joins_continuations_and_drops_comments() -> None:
    text = (
        "```bash\nuv run a \\\n    --flag 'x # y'   # comment\n# only a comment\n```\n"
        "```console\n$ echo hi\nhi\n```\n```python\nprint('not shell')\n```\n"
    )

    assert commands_in(text) == ["uv run a --flag 'x # y'", "echo hi"]
