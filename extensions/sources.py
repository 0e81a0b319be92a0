"""What the template's own files already say about the options, read from them so that the
feature table (features.py) never repeats it.

- A feature's files: the paths of template/ whose name is conditional on it. The innermost
  ``'<feature>' in features`` test of a path names its owner, so every conditional name tests a
  feature (``{% if 'rate_limit' in features and rate_limit_backend == 'redis' %}`` for one of two
  alternatives). Copier needs those names; the table's `Feature.files` is derived from them.
- A feature's settings: the fields of its settings class (and of the bases its module defines
  beside it), parsed (never imported: it is the
  generated app's code) from its module in template/. Each field carries what the rendered
  .env.example, deployments and docs need: ``description`` (the line's comment), its default
  (the line's value, unless ``examples`` names another), ``SecretStr`` or
  ``json_schema_extra={"secret": True}`` (taken from the Kubernetes Secret, never the
  ConfigMap), ``json_schema_extra={"migrate_only": True}`` (handed to the migrate Job alone),
  and no default or ``require_in_production(self, "NAME")`` in the class (a required Secret
  key).

Both are read once per process (the context hook runs per rendered file).
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# copier.yml's _subdirectory, beside this folder in every copy of the template Copier renders.
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "template"

_CONDITION = re.compile(r"\{%-?\s*if\b(.*?)-?%\}")
_FEATURE_TEST = re.compile(r"""['"](\w+)['"]\s+in\s+features\b""")
# Defaults that name a constant of the core: what the render makes of them, as the extension
# writes it before the slug is known.
_CORE_CONSTANTS = {"SERVICE_NAME": "{slug}"}


@dataclass(frozen=True)
class Setting:
    """One environment variable a feature's settings class reads, as its field declares it."""

    name: str
    example: str  # its line in .env.example and the Kubernetes ConfigMap ("": left unset there)
    doc: str  # the comment above that line: the field's description
    # Credentials, or URLs that may embed them: deployments take them from a Secret.
    secret: bool = False
    # The settings class refuses production without it (kept for the Kubernetes Secret): a
    # field with no default, or one its class names in `require_in_production(...)`.
    required_in_production: bool = False
    # Read by the migrations' process alone (json_schema_extra={"migrate_only": True}, e.g. the
    # first admin's password): a deployment hands it to the migrate Job, never the API's pods.
    migrate_only: bool = False


def rendered_path(template_path: str) -> str:
    """Where a file of template/ lands in a render whose conditions all hold."""
    path = re.sub(r"\{%-?\s*if\b.*?%\}(.*?)\{%-?\s*endif\s*-?%\}", r"\1", template_path)
    path = path.replace("{{_copier_conf.answers_file}}", ".copier-answers.yml")
    return path.removesuffix(".jinja")


def feature_tests(text: str) -> list[str]:
    """The features `text` tests with `'<name>' in features`, in order."""
    return _FEATURE_TEST.findall(text)


def features_named(template_path: str) -> list[str]:
    """The features a template path's conditions test, outermost first (a file of two
    features, `'rate_limit' in features and 'accounts' in features`, names both)."""
    return [
        name for condition in _CONDITION.findall(template_path) for name in feature_tests(condition)
    ]


def owner(template_path: str) -> str | None:
    """The feature a conditional template path belongs to: the innermost one its conditions
    test (None: an unconditional path)."""
    named = features_named(template_path)
    if "{%" in template_path and not named:
        raise ValueError(f"template/{template_path}: its condition names no feature")
    return named[-1] if named else None


@functools.cache
def template_files(root: Path = TEMPLATE_DIR) -> tuple[str, ...]:
    """Every file of template/ Copier renders, relative to it."""
    return tuple(
        sorted(
            str(path.relative_to(root))
            for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        )
    )


@functools.cache
def conditional_files(root: Path = TEMPLATE_DIR) -> dict[str, tuple[str, ...]]:
    """Rendered path -> the conditional template paths that can produce it."""
    found: dict[str, list[str]] = {}
    for path in template_files(root):
        if "{%" in path:
            found.setdefault(rendered_path(path), []).append(path)
    return {rendered: tuple(paths) for rendered, paths in found.items()}


@functools.cache
def feature_files(root: Path = TEMPLATE_DIR) -> dict[str, tuple[str, ...]]:
    """Feature name -> the rendered paths its conditional names give it, sorted."""
    files: dict[str, set[str]] = {}
    for rendered, paths in conditional_files(root).items():
        owners = {owner(path) for path in paths}
        if len(owners) != 1:
            raise ValueError(f"{rendered} is rendered by {sorted(map(str, owners))} alike")
        files.setdefault(str(owners.pop()), set()).add(rendered)
    return {name: tuple(sorted(paths)) for name, paths in files.items()}


# --------------------------------------------------------------------------- settings


def _literal(node: ast.expr | None, where: str) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        if isinstance(node, ast.Name) and node.id in _CORE_CONSTANTS:
            return _CORE_CONSTANTS[node.id]
        raise ValueError(f"{where}: {ast.unparse(node)} is not a literal") from None


def _env_value(value: Any) -> str:
    """A Python default as a dotenv line writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _setting(item: ast.AnnAssign, required: set[str], where: str) -> Setting:
    assert isinstance(item.target, ast.Name)
    name = item.target.id
    keywords: dict[str, ast.expr] = {}
    default: ast.expr | None = item.value
    if isinstance(item.value, ast.Call) and ast.unparse(item.value.func) == "Field":
        keywords = {k.arg: k.value for k in item.value.keywords if k.arg}
        default = item.value.args[0] if item.value.args else keywords.get("default")
    description = _literal(keywords.get("description"), f"{where}.{name}")
    if not isinstance(description, str) or not description:
        raise ValueError(f"{where}.{name}: no description= (the comment of its .env.example line)")
    examples = _literal(keywords.get("examples"), f"{where}.{name}")
    extra = _literal(keywords.get("json_schema_extra"), f"{where}.{name}") or {}
    value = examples[0] if examples else _literal(default, f"{where}.{name}")
    return Setting(
        name=name,
        example=_env_value(value),
        doc=description,
        secret="SecretStr" in ast.unparse(item.annotation) or bool(extra.get("secret")),
        required_in_production=name in required or not has_default(item.value),
        migrate_only=bool(extra.get("migrate_only")),
    )


def _required_in_production(node: ast.ClassDef) -> set[str]:
    """Fields named in `require_in_production(self, "NAME", ...)` calls of the class: every
    name a call gives, not only its first."""
    return {
        argument.value
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and ast.unparse(call.func) == "require_in_production"
        for argument in call.args[1:]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str)
    }


@functools.cache
def class_settings(settings_class: str, root: Path = TEMPLATE_DIR) -> tuple[Setting, ...]:
    """The settings "module:Class" declares in its own body, in their order there."""
    module, name = settings_class.split(":", 1)
    path = module.replace(".", "/")
    candidates = {f"{path}.py", f"{path}/__init__.py"}
    sources = [
        template
        for rendered, templates in conditional_files(root).items()
        if rendered in candidates
        for template in templates
    ]
    if len(sources) != 1 or sources[0].endswith(".jinja"):
        raise ValueError(f"{settings_class}: expected one plain .py module in template/, {sources}")
    tree = ast.parse((root / sources[0]).read_text(encoding="utf-8"))
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    if name not in classes:
        raise ValueError(f"{settings_class}: no class {name} in template/{sources[0]}")
    # The class and the bases its module defines beside it (e.g. EmailSettings extends
    # SmtpSettings), bases first; a base from another module is another feature's.
    chain: list[ast.ClassDef] = []

    def add(node: ast.ClassDef) -> None:
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in classes and classes[base.id] not in chain:
                add(classes[base.id])
        chain.append(node)

    add(classes[name])
    required = set().union(*(_required_in_production(node) for node in chain))
    return tuple(
        _setting(item, required, settings_class)
        for node in chain
        for item in node.body
        if isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and not ast.unparse(item.annotation).startswith("ClassVar")
    )


# The core's settings (Settings) and the rules production lays over them (ProductionRules).
_CORE_SETTINGS = ("app/core/config.py.jinja", "Settings")
_PRODUCTION_RULES = ("app/core/environments.py", "ProductionRules")


def _fields_with_default(path: str, class_name: str, root: Path) -> dict[str, bool]:
    """Field name -> whether it has a default, for a class of a file of template/ whose Jinja
    (if any) sits inside string literals, so the file parses as Python."""
    tree = ast.parse((root / path).read_text(encoding="utf-8"), filename=path)
    node = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None
    )
    if node is None:
        raise ValueError(f"template/{path}: no class {class_name}")
    return {
        item.target.id: has_default(item.value)
        for item in node.body
        if isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and not ast.unparse(item.annotation).startswith("ClassVar")
    }


def has_default(value: ast.expr | None) -> bool:
    """Whether a field's value in a class body (`= 3`, `= Field(default=...)`) gives a default:
    not a bare annotation, `...` or `Field(...)` without one."""
    if value is None or (isinstance(value, ast.Constant) and value.value is Ellipsis):
        return False
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "Field":
        keywords = {keyword.arg for keyword in value.keywords}
        given = value.args[0] if value.args else None
        return bool({"default", "default_factory"} & keywords) or (
            given is not None and has_default(given)
        )
    return True


@functools.cache
def core_production_required(root: Path = TEMPLATE_DIR) -> tuple[str, ...]:
    """The core's variables production refuses to start without: its fields that have no
    default once ProductionRules is laid over Settings, in their order there."""
    core = _fields_with_default(*_CORE_SETTINGS, root)
    rules = _fields_with_default(*_PRODUCTION_RULES, root)
    merged = {**core, **rules}  # the rules' declaration wins; the core's order comes first
    return tuple(name for name, defaulted in merged.items() if not defaulted)
