"""MkDocs hook: write the reference pages from their sources of truth at build time.

- ``questions.md`` from ``copier.yml``: every question with its type, default, choices, help,
  and the conditions under which it is asked or refused.
- ``configuration.md`` from an all-on render of the template: every field of the rendered
  settings classes (the core's in ``app/core/config.py``, each option's beside its code) with its
  value in each environment (the rules of ``app/core/environments.py``), the meaning written
  above it in the rendered ``.env.example``, the option (``extensions/features.py``) that adds
  it, and every other environment variable the rendered service, its scripts and its compose
  file read; and, for an option that takes the place of one all-on has (``oidc``, of
  ``accounts``), its settings from a render with it on.

Neither page exists in ``docs/``: nothing can drift from the template, and nothing is
hand-maintained. The hook never writes into the repository (the render goes to a temp dir).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import re
import sys
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COPIER_YML = ROOT / "copier.yml"
EXTENSIONS = ROOT / "extensions"
CONTEXT_PY = EXTENSIONS / "context.py"
CONFIG_PY = "app/core/config.py"
ENVIRONMENTS_PY = "app/core/environments.py"

QUESTIONS_PAGE = "questions.md"
CONFIGURATION_PAGE = "configuration.md"

# The environments in the order the configuration page shows them.
ENVIRONMENTS = ("development", "production", "test")


# --------------------------------------------------------------------------- questions


def _code(value: object) -> str:
    text = str(value)
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _jinja_to_words(template: str) -> str:
    """A validator's message, with each `{{ expression }}` shown as `<expression>`."""
    body = re.sub(r"\{%-?\s*(if|endif)\b.*?-?%\}", "", template, flags=re.DOTALL)
    body = re.sub(r"\{\{-?\s*(.*?)\s*-?\}\}", r"<\1>", body)
    return " ".join(body.split())


def _validator_condition(template: str) -> str | None:
    match = re.search(r"\{%-?\s*if\s+(.*?)\s*-?%\}", template, flags=re.DOTALL)
    return " ".join(match.group(1).split()) if match else None


def _default_in_words(default: object) -> str:
    if default is None:
        return "none (an answer is required)"
    text = _yaml_scalar(default)
    if "{{" in text or "{%" in text:
        expression = re.sub(r"^\{\{\s*(.*?)\s*\}\}$", r"\1", text.strip())
        return f"computed from earlier answers: {_code(expression)}"
    return _code(text)


def questions_markdown(copier_yml: Path = COPIER_YML) -> str:
    spec: dict[str, Any] = yaml.safe_load(copier_yml.read_text())
    questions = {name: value for name, value in spec.items() if not name.startswith("_")}
    lines = [
        "# Questions reference",
        "",
        "<!-- Generated at build time from copier.yml by docs/hooks/reference.py. -->",
        "",
        f"Generated from `copier.yml` when the site is built: {len(questions)} questions, in the",
        "order Copier asks them. Give any of them on the command line with",
        "`--data name=value`; `--defaults` takes the default of every question not given.",
        "",
        "| question | type | default | choices |",
        "| --- | --- | --- | --- |",
    ]
    for name, question in questions.items():
        question = question if isinstance(question, dict) else {"default": question}
        kind = question.get("type", type(question.get("default", "")).__name__)
        choices = question.get("choices")
        if isinstance(choices, dict):
            choices = list(choices.values())
        choice_text = ", ".join(_code(_yaml_scalar(c)) for c in choices) if choices else "any"
        lines.append(
            f"| [{_code(name)}](#{name}) | {kind} | "
            f"{_cell(_default_in_words(question.get('default')))} | {_cell(choice_text)} |"
        )
    for name, question in questions.items():
        question = question if isinstance(question, dict) else {"default": question}
        lines += ["", f"## `{name}` {{ #{name} }}", ""]
        if question.get("help"):
            lines += [" ".join(str(question["help"]).split()), ""]
        lines.append(f"- **type**: {question.get('type', 'inferred from the default')}")
        lines.append(f"- **default**: {_default_in_words(question.get('default'))}")
        choices = question.get("choices")
        if choices:
            values = choices.values() if isinstance(choices, dict) else choices
            lines.append("- **choices**: " + ", ".join(_code(_yaml_scalar(c)) for c in values))
        if "when" in question:
            when = question["when"]
            if when is False:
                lines.append("- **asked**: never; always takes its default")
            else:
                lines.append(f"- **asked only when**: {_code(' '.join(str(when).split()))}")
        if question.get("secret"):
            lines.append("- **secret**: the answer is not stored in `.copier-answers.yml`")
        if question.get("multiline"):
            lines.append("- **multiline**: the answer may span several lines")
        validator = question.get("validator")
        if validator:
            condition = _validator_condition(str(validator))
            message = _jinja_to_words(str(validator))
            refused = f"refused when {_code(condition)}" if condition else "validated"
            lines.append(f"- **{refused}**, with the message: “{message}”")
    skipped = spec.get("_skip_if_exists") or []
    lines += [
        "",
        "## Template settings that are not questions",
        "",
        f"- Minimum Copier version: {_code(spec.get('_min_copier_version', 'any'))}.",
        "- Jinja extensions (hence `--trust`): "
        + ", ".join(_code(e) for e in spec.get("_jinja_extensions", []))
        + ".",
        "- Created once and never overwritten by `copier update`: "
        + ", ".join(_code(path) for path in skipped)
        + ".",
        f"- Answers are recorded in {_code(spec.get('_answers_file', '.copier-answers.yml'))}.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- configuration


def load_context_module() -> ModuleType:
    """extensions/context.py imported from its file, as Copier imports it; the feature table is
    its `features` attribute.

    The tests' tests/modules.py::load_module does the same, but this hook cannot import it: MkDocs
    loads the hook by path with only docs/hooks/ on sys.path, and a docs build must not depend on
    the test package."""
    spec = importlib.util.spec_from_file_location("template_feature_table", CONTEXT_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def all_on_answers(context: ModuleType) -> dict[str, Any]:
    """copier.yml's defaults with every feature's example answers merged in (the table's
    `all_on`); checked: every feature that has settings is on."""
    table = context.features
    spec: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text())
    asked = {question for feature in table.FEATURES for question in feature.example}
    answers: dict[str, Any] = table.all_on(
        {name: spec[name].get("default") for name in spec if name in asked}
    )
    enabled = {feature.name for feature in table.enabled_features(answers)}
    # An alternative of a feature all-on has (oidc: accounts) is left out: the page takes its
    # settings from a render of its own (left_out).
    missing = [
        f.name
        for f in table.FEATURES
        if f.settings and f.name not in enabled and table.keeps_every_feature_on(answers, f)
    ]
    if missing:
        raise RuntimeError(f"docs/hooks/reference.py: all_on_answers misses {missing}")
    return answers


def left_out(context: ModuleType, answers: dict[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    """The features with settings `answers` leave off (alternatives of features they turn on:
    oidc, of accounts), each with the answers that turn it on in their place."""
    table = context.features
    enabled = {feature.name for feature in table.enabled_features(answers)}
    return [
        (feature, {**answers, **feature.example})
        for feature in table.FEATURES
        if feature.settings and feature.name not in enabled
    ]


def render(destination: Path, answers: dict[str, Any]) -> Path:
    import copier  # the template's dev environment has it; imported late to keep hooks light

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning: the working tree is what we document
        copier.run_copy(
            str(ROOT),
            str(destination),
            data=answers,
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
        )
    return destination


def render_all_on(destination: Path) -> Path:
    return render(destination / "all-on", all_on_answers(load_context_module()))


@dataclass
class Field_:
    name: str
    annotation: str
    default: str | None  # Python source of the default; None: required
    constraints: list[str] = field(default_factory=list)
    comment: str = ""


@dataclass
class SettingsClass:
    name: str
    environment: str | None
    env_files: tuple[str, ...]
    fields: dict[str, Field_]
    refusals: dict[str, list[str]]
    # Named in `require_in_production(self, ...)`: refused in production when left unset.
    required_in_production: set[str] = field(default_factory=set)
    # Its bases' names, as written.
    bases: tuple[str, ...] = ()


_BOUNDS = {
    "ge": "≥",
    "gt": ">",
    "le": "≤",
    "lt": "<",
    "min_length": "length ≥",
    "max_length": "length ≤",
}
# Classes whose subclasses are settings classes, before any file is read.
SETTINGS_ROOTS = frozenset({"BaseSettings", "Settings", "ProcessSettings"})


def _module_constants(tree: ast.Module) -> dict[str, Any]:
    constants: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                with contextlib.suppress(ValueError):
                    constants[target.id] = ast.literal_eval(node.value)
    return constants


def _message(node: ast.expr, constants: dict[str, Any]) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                inner = value.value
                if isinstance(inner, ast.Name) and inner.id in constants:
                    parts.append(str(constants[inner.id]))
                else:
                    parts.append("…")  # the refused value, known only then
        return "".join(parts)
    return ast.unparse(node)


def _leading_comment(source_lines: list[str], lineno: int) -> str:
    """The comment lines directly above line `lineno` (1-based)."""
    comment: list[str] = []
    index = lineno - 2
    while index >= 0 and source_lines[index].strip().startswith("#"):
        comment.insert(0, source_lines[index].strip().lstrip("#").strip())
        index -= 1
    return " ".join(comment)


def _field(
    item: ast.AnnAssign, name: str, source_lines: list[str], constants: dict[str, Any]
) -> Field_:
    default: str | None = None
    constraints: list[str] = []
    value = item.value
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "Field":
        for keyword in value.keywords:
            if keyword.arg == "default":
                default = ast.unparse(keyword.value)
            elif keyword.arg in _BOUNDS:
                constraints.append(f"{_BOUNDS[keyword.arg]} {ast.unparse(keyword.value)}")
        if value.args:
            default = ast.unparse(value.args[0])
    elif value is not None:
        default = ast.unparse(value)
    if default in constants:  # a module constant, e.g. SERVICE_NAME: show its value
        default = repr(constants[default])
    comment = _leading_comment(source_lines, item.lineno)
    return Field_(name, ast.unparse(item.annotation), default, constraints, comment)


def _refusals(function: ast.FunctionDef, constants: dict[str, Any]) -> dict[str, list[str]]:
    """Field name -> the ValueError messages of a `field_validator` of that field."""
    validated = [
        ast.literal_eval(arg)
        for decorator in function.decorator_list
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "field_validator"
        for arg in decorator.args
    ]
    messages = [
        _message(raised.exc.args[0], constants)
        for raised in ast.walk(function)
        if isinstance(raised, ast.Raise)
        and isinstance(raised.exc, ast.Call)
        and ast.unparse(raised.exc.func) == "ValueError"
        and raised.exc.args
    ]
    return {name: list(messages) for name in validated}


def _required_in_production(node: ast.ClassDef) -> set[str]:
    return {
        arg.value
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and ast.unparse(call.func) == "require_in_production"
        for arg in call.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }


def _settings_class(
    node: ast.ClassDef, source_lines: list[str], constants: dict[str, Any]
) -> SettingsClass:
    bases = tuple(ast.unparse(base) for base in node.bases)
    cls = SettingsClass(node.name, None, (), {}, {}, _required_in_production(node), bases)
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            name = item.target.id
            if not ast.unparse(item.annotation).startswith("ClassVar"):
                cls.fields[name] = _field(item, name, source_lines, constants)
            elif name == "ENVIRONMENT" and isinstance(item.value, ast.Attribute):
                attr = item.value.attr
                cls.environment = "test" if attr == "TEST" else attr.lower()
            elif name == "ENV_FILES" and item.value is not None:
                cls.env_files = tuple(ast.literal_eval(item.value))
        elif isinstance(item, ast.FunctionDef):
            for name, messages in _refusals(item, constants).items():
                cls.refusals.setdefault(name, []).extend(messages)
    return cls


def parse_settings(
    path: Path, known: frozenset[str] = SETTINGS_ROOTS, imported: dict[str, Any] | None = None
) -> dict[str, SettingsClass]:
    """The settings classes a module defines: those with a base in `known`, or defined above
    it in the same module. Fields, their bounds and comments, validators' refusals, the
    environment and dotenv files of an environment's rules. `imported`: constants of the
    modules it imports from (e.g. app.core.config's SERVICE_NAME)."""
    source = path.read_text()
    tree = ast.parse(source)
    constants = {**(imported or {}), **_module_constants(tree)}
    classes: dict[str, SettingsClass] = {}
    for node in tree.body:
        bases = (
            {ast.unparse(base) for base in node.bases} if isinstance(node, ast.ClassDef) else set()
        )
        if isinstance(node, ast.ClassDef) and bases & (known | set(classes)):
            classes[node.name] = _settings_class(node, source.splitlines(), constants)
    return classes


def with_bases(classes: dict[str, SettingsClass], name: str) -> SettingsClass:
    """Class `name` with what it inherits from the bases defined beside it in `classes` (e.g.
    the core's `Settings` on `ProcessSettings`, `EmailSettings` on `SmtpSettings`): their fields
    first, its own winning."""
    cls = classes[name]
    merged = SettingsClass(cls.name, None, (), {}, {}, set(), cls.bases)
    for base in [*(with_bases(classes, b) for b in cls.bases if b in classes), cls]:
        merged.environment = base.environment or merged.environment
        merged.env_files = base.env_files or merged.env_files
        merged.fields.update(base.fields)
        for field_name, messages in base.refusals.items():
            merged.refusals.setdefault(field_name, []).extend(messages)
        merged.required_in_production |= base.required_in_production
    return merged


def parse_dotenv(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(values, comment directly above each variable) of a dotenv file."""
    values: dict[str, str] = {}
    docs: dict[str, str] = {}
    if not path.is_file():
        return values, docs
    comment: list[str] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            comment = []
        elif line.startswith("#"):
            comment.append(line.lstrip("#").strip())
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
            if comment and not comment[-1].startswith("---"):
                docs[name.strip()] = " ".join(c for c in comment if not c.startswith("---"))
            comment = []
    return values, docs


_READ_PATTERNS = (
    # Python: os.environ.get("X"), os.environ["X"], env("X", ...) in the generated tests.
    re.compile(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]*)["'](?:\s*,\s*([^)]*))?"""),
    re.compile(r"""\benv\(\s*["']([A-Z][A-Z0-9_]*)["'](?:\s*,\s*([^)]*))?"""),
    # Shell and compose: ${X}, ${X:-default}, ${X:?message}
    re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])((?:[^{}]|\$\{[^}]*\})*))?\}"),
)


def process_variables(project: Path, settings_names: set[str]) -> dict[str, dict[str, set[str]]]:
    """Variables read outside Settings: name -> {"files": {...}, "defaults": {...}}."""
    found: dict[str, dict[str, set[str]]] = {}
    for path in sorted(project.rglob("*")):
        if (
            not path.is_file()
            or ".git" in path.parts
            or path.suffix
            not in {
                ".py",
                ".sh",
                ".yml",
                ".yaml",
                "",
            }
        ):
            continue
        if path.name.startswith(".env"):
            continue
        text = path.read_text(errors="replace")
        relative = str(path.relative_to(project))
        for pattern in _READ_PATTERNS:
            for match in pattern.finditer(text):
                name = match.group(1)
                if name in settings_names or re.match(r"""["']\]\s*=[^=]""", text[match.end(1) :]):
                    continue  # a Settings field, or an assignment rather than a read
                entry = found.setdefault(name, {"files": set(), "defaults": set()})
                entry["files"].add(relative)
                groups = match.groups()
                if len(groups) == 3 and groups[1] == ":-":
                    entry["defaults"].add(_code(groups[2]))
                elif len(groups) == 3 and groups[1] == ":?":
                    entry["defaults"].add(f"required: {groups[2]}")
                elif len(groups) == 2 and groups[1]:
                    entry["defaults"].add(_code(groups[1].strip()))
    return found


def _python_value(source: str | None) -> str:
    if source is None:
        return "**required**"
    try:
        value = ast.literal_eval(source)
    except ValueError:
        return _code(source)
    if isinstance(value, bool):
        return _code("true" if value else "false")
    if isinstance(value, list):
        return _code(",".join(value)) if value else "empty"
    if value is None:
        return "unset"
    return _code(value)


@dataclass
class ProjectSettings:
    """The settings classes of a render: the core's and each enabled option's."""

    core: SettingsClass  # `Settings` in app/core/config.py
    rules: dict[str, SettingsClass]  # environment -> its rules class
    options: list[tuple[Any, SettingsClass]]  # (Feature, its settings class), table order

    def declaring(self, name: str) -> SettingsClass:
        for cls in (self.core, *(cls for _, cls in self.options)):
            if name in cls.fields:
                return cls
        raise KeyError(name)

    def all_classes(self) -> list[SettingsClass]:
        return [self.core, *self.rules.values(), *(cls for _, cls in self.options)]


def project_settings(project: Path, context: ModuleType) -> ProjectSettings:
    """Parse a render's settings classes: the core's and each enabled option's."""
    core = parse_settings(project / CONFIG_PY)
    core_constants = _module_constants(ast.parse((project / CONFIG_PY).read_text()))
    environments = parse_settings(project / ENVIRONMENTS_PY, frozenset(core), core_constants)
    # Each environment's rules for the API's settings: the last class of the module that sets
    # it (`ProductionRules`, on top of `ProductionProcessRules`).
    rules: dict[str, SettingsClass] = {}
    for name in environments:
        cls = with_bases(environments, name)
        if cls.environment:
            rules[cls.environment] = cls
    missing = [env for env in ENVIRONMENTS if env not in rules]
    if missing:
        raise RuntimeError(f"no rules class for {missing} in the rendered {ENVIRONMENTS_PY}")
    table = context.features
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    known = set(SETTINGS_ROOTS) | set(core)
    options: list[tuple[Any, SettingsClass]] = []
    for feature in table.enabled_features(answers):
        if not feature.settings_class:
            continue
        module, name = feature.settings_class.split(":", 1)
        path = next(p for p in table.module_files(module) if (project / p).is_file())
        cls = with_bases(parse_settings(project / path, frozenset(known), core_constants), name)
        known.add(name)
        options.append((feature, cls))
    return ProjectSettings(with_bases(core, "Settings"), rules, options)


def _refused(name: str, messages: list[str]) -> str:
    return " or ".join(f"“{name} {message}”" for message in dict.fromkeys(messages))


def _row_writer(project: Path, settings: ProjectSettings) -> Any:
    """The function writing the table row of a variable of `project`'s settings."""
    by_environment = settings.rules
    _, docs = parse_dotenv(project / ".env.example")
    test_values = {
        name: value
        for feature, _ in settings.options
        for name, value in feature.test_environment.items()
    }
    production_required = set().union(*(c.required_in_production for c in settings.all_classes()))

    def value_in(environment: str, name: str) -> str:
        cls = by_environment[environment]
        declared = cls.fields.get(name, settings.declaring(name).fields[name])
        default = declared.default
        if environment == "production" and name in production_required:
            default = None  # the class refuses production settings that leave it unset
        shipped = [
            (env_file, value)
            for env_file in cls.env_files
            if (value := parse_dotenv(project / env_file)[0].get(name))
        ]
        if shipped and (default is not None or environment != "production"):
            env_file, value = shipped[-1]  # the later dotenv file wins
            text = f"{_code(value)} (`{env_file}`)"
        else:
            text = _python_value(default)
            if shipped:
                text += f"; `{shipped[-1][0]}` ships the placeholder {_code(shipped[-1][1])}"
        if cls.refusals.get(name):
            text += "; refused with " + _refused(name, cls.refusals[name])
        if environment == "test" and name in test_values:
            text += f"; the generated suite sets {_code(test_values[name])}"
        return text

    def row(name: str) -> str:
        declared = settings.declaring(name).fields[name]
        kind = declared.annotation + (
            " (" + ", ".join(declared.constraints) + ")" if declared.constraints else ""
        )
        meaning = docs.get(name) or declared.comment
        if not meaning:
            raise RuntimeError(f"{name} has no comment above it in the rendered .env.example")
        if refusals := settings.declaring(name).refusals.get(name):  # in every environment
            meaning = f"{meaning.rstrip('.')}. Refused with {_refused(name, refusals)}."
        cells = [_code(name), _code(kind), *(value_in(env, name) for env in ENVIRONMENTS)]
        return "| " + " | ".join(_cell(c) for c in [*cells, meaning]) + " |"

    return row


def configuration_markdown(
    project: Path, context: ModuleType, alternatives: Sequence[tuple[Any, Path]] = ()
) -> str:
    """The page, from the all-on render `project` and, for each feature all-on leaves out (an
    alternative of one it has), a render with that feature on."""
    settings = project_settings(project, context)
    by_environment = settings.rules
    row = _row_writer(project, settings)
    header = [
        "| variable | type | development | production | test | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated at build time by docs/hooks/reference.py from an all-on render. -->",
        "",
        "Generated when the site is built, from a render of the template with every option on",
        "(and, for an option that takes another's place, such as `oidc`, a render with it on):",
        "the fields of `app/core/config.py` and of each option's settings class beside its code",
        "(types, bounds, the default under each environment's rules in",
        "`app/core/environments.py` and the dotenv files they read), the comment above each",
        "variable in `.env.example`, and the option of",
        "`extensions/features.py` that adds it. `app/bootstrap/settings.py` joins them all into",
        "the one settings object of the service.",
        "",
        "`ENVIRONMENT` (read from the process environment only) picks the rules laid over it:",
        ", ".join(
            f"`{env}` → `{by_environment[env].name}`"
            + (
                " reading " + ", ".join(f"`{f}`" for f in by_environment[env].env_files)
                if by_environment[env].env_files
                else " reading no dotenv file"
            )
            for env in ENVIRONMENTS
        )
        + ". Real environment variables win over every file; empty values are ignored.",
        "**required** means the service refuses to start without it, naming it with every other",
        "variable at fault (`configuration error: invalid production configuration: ...`).",
        "",
        "## Core settings (every service)",
        "",
        *header,
        *(row(name) for name in settings.core.fields),
    ]
    for feature, cls in settings.options:
        lines += [
            "",
            f"## `{feature.name}` option",
            "",
            f"{feature.summary}; `{feature.settings_class}`.",
            "",
            *header,
            *(row(name) for name in cls.fields),
        ]
    shown = {feature.name for feature, _ in settings.options}
    for feature, alternative in alternatives:
        other = project_settings(alternative, context)
        other_row = _row_writer(alternative, other)
        [cls] = [cls for f, cls in other.options if f.name == feature.name]
        replaced = sorted(shown - {f.name for f, _ in other.options})
        answers = " ".join(
            f"`{question}={str(value).lower() if isinstance(value, bool) else value}`"
            for question, value in feature.example.items()
        )
        lines += [
            "",
            f"## `{feature.name}` option",
            "",
            f"{feature.summary}; `{feature.settings_class}`. Not in the all-on render: {answers}"
            f" turns it on in place of {', '.join(f'`{name}`' for name in replaced)}.",
            "",
            *header,
            *(other_row(name) for name in cls.fields),
        ]
    settings_names = {name for cls in settings.all_classes() for name in cls.fields}
    others = process_variables(project, settings_names)
    lines += [
        "",
        "## Other environment variables",
        "",
        "Read by scripts, the compose file, the tests or a library rather than by the settings",
        "classes (found by scanning the render for `os.environ`, `env(...)` and `${...}`).",
        "",
        "| variable | read by | default |",
        "| --- | --- | --- |",
    ]
    for name in sorted(others):
        entry = others[name]
        lines.append(
            f"| {_code(name)} | "
            + ", ".join(_code(f) for f in sorted(entry["files"]))
            + " | "
            + _cell(", ".join(sorted(entry["defaults"])) or "unset")
            + " |"
        )
    lines.append("")
    return "\n".join(lines)


@cache
def _configuration_cached(stamp: tuple[float, ...]) -> str:
    context = load_context_module()
    with tempfile.TemporaryDirectory(prefix="docs-render-") as temp:
        project = render_all_on(Path(temp))
        alternatives = [
            (feature, render(Path(temp) / feature.name, answers))
            for feature, answers in left_out(context, all_on_answers(context))
        ]
        return configuration_markdown(project, context, alternatives)


def _sources_stamp() -> tuple[float, ...]:
    paths = [COPIER_YML, *sorted(EXTENSIONS.glob("*.py")), *sorted((ROOT / "template").rglob("*"))]
    return tuple(p.stat().st_mtime for p in paths if p.is_file())


def configuration_page() -> str:
    """The configuration page; re-rendered only when the template changed (mkdocs serve)."""
    return _configuration_cached(_sources_stamp())


# --------------------------------------------------------------------------- mkdocs events


def on_files(files: Any, *, config: Any) -> Any:
    from mkdocs.structure.files import File

    for name, content in (
        (QUESTIONS_PAGE, questions_markdown()),
        (CONFIGURATION_PAGE, configuration_page()),
    ):
        if files.get_file_from_path(name) is not None:
            raise RuntimeError(f"docs/{name} is generated; remove the file from docs/")
        files.append(File.generated(config, name, content=content))
    return files
