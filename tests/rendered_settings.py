"""The settings a render declares, read from its source (no install needed): the core's classes
in app/core/config.py and app/core/environments.py, and each enabled feature's settings class
(its `settings_class`)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from extensions.features import FEATURES, module_files
from extensions.sources import has_default
from tests.scenarios import options_on

CONFIG = "app/core/config.py"
ENVIRONMENTS = "app/core/environments.py"


def settings_files(answers: dict[str, Any]) -> list[str]:
    on = options_on(answers)
    modules = {
        feature.settings_class.split(":", 1)[0]
        for feature in FEATURES
        if feature.name in on and feature.settings_class
    }
    return [CONFIG, ENVIRONMENTS, *sorted(module_files(module)[0] for module in modules)]


def _settings_classes(tree: ast.Module) -> list[ast.ClassDef]:
    return [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name.endswith(("Settings", "Rules"))
    ]


def _fields(cls: ast.ClassDef) -> list[ast.AnnAssign]:
    return [
        item
        for item in cls.body
        if isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and not ast.unparse(item.annotation).startswith("ClassVar")
    ]


def settings_fields(project: Path, answers: dict[str, Any]) -> dict[str, str]:
    """Field name -> annotation, over every settings class of the render."""
    fields: dict[str, str] = {}
    for name in settings_files(answers):
        for cls in _settings_classes(ast.parse((project / name).read_text())):
            for item in _fields(cls):
                assert isinstance(item.target, ast.Name)
                fields.setdefault(item.target.id, ast.unparse(item.annotation))
    return fields


def production_required(project: Path, answers: dict[str, Any]) -> set[str]:
    """Fields production refuses to start without: those without a default in a settings class
    (the core's `Settings`, `ProductionRules`, an integration's: the other environments' rules
    may give one), and those an integration's class names in `require_in_production(...)`."""
    required: set[str] = set()
    for name in settings_files(answers):
        for cls in _settings_classes(ast.parse((project / name).read_text())):
            if not cls.name.startswith(("Development", "Testing")):
                required |= {
                    item.target.id
                    for item in _fields(cls)
                    if not has_default(item.value) and isinstance(item.target, ast.Name)
                }
            for node in ast.walk(cls):
                if isinstance(node, ast.Call) and ast.unparse(node.func) == "require_in_production":
                    required |= {
                        arg.value
                        for arg in node.args
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    }
    return required
