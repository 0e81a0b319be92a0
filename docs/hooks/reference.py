"""MkDocs hook: write the reference pages from their sources of truth at build time.

- ``questions.md`` from ``copier.yml``: every question with its type, default, choices, help,
  and the conditions under which it is asked or refused.
- ``configuration.md`` from an all-on render of the template: every field of the rendered
  ``Settings`` classes with its value in each environment, the meaning written above it in the
  rendered ``.env.example``, the option (``extensions/context.py``) that adds it, and every other
  environment variable the rendered service, its scripts and its compose file read.

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
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COPIER_YML = ROOT / "copier.yml"
CONTEXT_PY = ROOT / "extensions" / "context.py"

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
    """extensions/context.py, the feature table, imported from its file."""
    spec = importlib.util.spec_from_file_location("template_feature_table", CONTEXT_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def all_on_answers(context: ModuleType) -> dict[str, Any]:
    """Answers that turn on every feature that has settings; checked, not assumed."""
    answers = {
        "redis": True,
        "cache": True,
        "rate_limit": "redis",
        "metrics": True,
        "sentry": True,
        "tracing": True,
        "worker": "taskiq",
        "ci": "github",
    }
    enabled = {feature.name for feature in context.enabled_features(answers)}
    missing = [f.name for f in context.ALL_FEATURES if f.settings and f.name not in enabled]
    if missing:
        raise RuntimeError(f"docs/hooks/reference.py: all_on_answers misses {missing}")
    return answers


def render_all_on(destination: Path) -> Path:
    import copier  # the template's dev environment has it; imported late to keep hooks light

    project = destination / "all-on"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning: the working tree is what we document
        copier.run_copy(
            str(ROOT),
            str(project),
            data=all_on_answers(load_context_module()),
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
        )
    return project


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


_BOUNDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


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
                    parts.append("{" + ast.unparse(inner) + "}")
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


def parse_settings(config_py: Path) -> dict[str, SettingsClass]:
    source = config_py.read_text()
    source_lines = source.splitlines()
    tree = ast.parse(source)
    constants = _module_constants(tree)
    classes: dict[str, SettingsClass] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {ast.unparse(base) for base in node.bases}
        if not bases & {"BaseSettings", "Settings"}:
            continue
        environment = None
        env_files: tuple[str, ...] = ()
        fields: dict[str, Field_] = {}
        refusals: dict[str, list[str]] = {}
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                name = item.target.id
                annotation = ast.unparse(item.annotation)
                if annotation.startswith("ClassVar"):
                    if name == "ENVIRONMENT" and isinstance(item.value, ast.Attribute):
                        environment = (
                            "test" if item.value.attr == "TEST" else item.value.attr.lower()
                        )
                    continue
                default: str | None = None
                constraints: list[str] = []
                value = item.value
                if (
                    isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Name)
                    and value.func.id == "Field"
                ):
                    for keyword in value.keywords:
                        if keyword.arg == "default":
                            default = ast.unparse(keyword.value)
                        elif keyword.arg in _BOUNDS:
                            constraints.append(
                                f"{_BOUNDS[keyword.arg]} {ast.unparse(keyword.value)}"
                            )
                    if value.args:
                        default = ast.unparse(value.args[0])
                elif value is not None:
                    default = ast.unparse(value)
                fields[name] = Field_(
                    name,
                    annotation,
                    default,
                    constraints,
                    _leading_comment(source_lines, item.lineno),
                )
            elif isinstance(item, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "model_config" for t in item.targets
            ):
                for keyword in getattr(item.value, "keywords", []):
                    if keyword.arg == "env_file":
                        files = ast.literal_eval(keyword.value)
                        env_files = (files,) if isinstance(files, str) else tuple(files)
            elif isinstance(item, ast.FunctionDef):
                validated = [
                    ast.literal_eval(arg)
                    for decorator in item.decorator_list
                    if isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "field_validator"
                    for arg in decorator.args
                ]
                messages = [
                    _message(raised.exc.args[0], constants)
                    for raised in ast.walk(item)
                    if isinstance(raised, ast.Raise)
                    and isinstance(raised.exc, ast.Call)
                    and ast.unparse(raised.exc.func) == "ValueError"
                    and raised.exc.args
                ]
                for name in validated:
                    refusals.setdefault(name, []).extend(messages)
        classes[node.name] = SettingsClass(node.name, environment, env_files, fields, refusals)
    return classes


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


def configuration_markdown(project: Path, context: ModuleType) -> str:
    classes = parse_settings(project / "app" / "core" / "config.py")
    base = classes["Settings"]
    by_environment = {c.environment: c for c in classes.values() if c.environment}
    missing = [env for env in ENVIRONMENTS if env not in by_environment]
    if missing:
        raise RuntimeError(f"no settings class for {missing} in the rendered config.py")
    _, docs = parse_dotenv(project / ".env.example")
    feature_of = {
        setting.name: feature for feature in context.ALL_FEATURES for setting in feature.settings
    }
    test_values = {
        setting.name: setting.test_value
        for feature in context.ALL_FEATURES
        for setting in feature.settings
        if setting.test_value is not None
    }

    def value_in(environment: str, name: str) -> str:
        cls = by_environment[environment]
        declared = cls.fields.get(name, base.fields[name])
        shipped = [
            (env_file, value)
            for env_file in cls.env_files
            if (value := parse_dotenv(project / env_file)[0].get(name))
        ]
        if shipped and (declared.default is not None or environment != "production"):
            env_file, value = shipped[-1]  # the later dotenv file wins
            text = f"{_code(value)} (`{env_file}`)"
        else:
            text = _python_value(declared.default)
            if shipped:
                text += f"; `{shipped[-1][0]}` ships the placeholder {_code(shipped[-1][1])}"
        refusals = [*base.refusals.get(name, []), *cls.refusals.get(name, [])]
        if refusals and cls is not base:
            text += "; refused with " + " or ".join(
                f"“{name} {message}”" for message in dict.fromkeys(refusals)
            )
        if environment == "test" and name in test_values:
            text += f"; the generated suite sets {_code(test_values[name])}"
        return text

    def row(name: str) -> str:
        declared = base.fields[name]
        kind = declared.annotation + (
            " (" + ", ".join(declared.constraints) + ")" if declared.constraints else ""
        )
        meaning = docs.get(name) or declared.comment
        if not meaning:
            raise RuntimeError(f"{name} has no comment above it in the rendered .env.example")
        cells = [_code(name), _code(kind), *(value_in(env, name) for env in ENVIRONMENTS)]
        return "| " + " | ".join(_cell(c) for c in [*cells, meaning]) + " |"

    header = [
        "| variable | type | development | production | test | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    core = [name for name in base.fields if name not in feature_of]
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated at build time by docs/hooks/reference.py from an all-on render. -->",
        "",
        "Generated when the site is built, from a render of the template with every option on:",
        "the fields of `app/core/config.py` (types, bounds, the default of each environment's",
        "settings class and the dotenv file it reads), the comment above each variable in",
        "`.env.example`, and the option of `extensions/context.py` that adds it.",
        "",
        "`ENVIRONMENT` (read from the process environment only) picks the settings class:",
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
        "**required** means the service refuses to start without it, naming the variable on",
        "one line (`configuration error: invalid production configuration: ...`).",
        "",
        "## Core settings (every service)",
        "",
        *header,
        *(row(name) for name in core),
    ]
    for feature in context.ALL_FEATURES:
        names = [s.name for s in feature.settings if s.name in base.fields]
        if not names:
            continue
        lines += [
            "",
            f"## `{feature.name}` option",
            "",
            f"{feature.summary}.",
            "",
            *header,
            *(row(name) for name in names),
        ]
    declared_only = (
        set(base.fields) - set(core) - {s.name for f in context.ALL_FEATURES for s in f.settings}
    )
    if declared_only:
        raise RuntimeError(f"settings in no section: {sorted(declared_only)}")
    settings_names = {name for cls in classes.values() for name in cls.fields} | {"ENVIRONMENT"}
    others = process_variables(project, settings_names - {"ENVIRONMENT"})
    lines += [
        "",
        "## Other environment variables",
        "",
        "Read by scripts, the compose file, the tests or a library rather than by `Settings`",
        "(found by scanning the render for `os.environ`, `env(...)` and `${...}`).",
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
    with tempfile.TemporaryDirectory(prefix="docs-render-") as temp:
        project = render_all_on(Path(temp))
        return configuration_markdown(project, load_context_module())


def _sources_stamp() -> tuple[float, ...]:
    paths = [COPIER_YML, CONTEXT_PY, *sorted((ROOT / "template").rglob("*"))]
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
