"""Carry a generated service across the re-rooming of issue 14 (a `copier update` migration).

Copier runs this after an update that crosses the version which moved modules to their new rooms
(app.core → app.bootstrap / app.integrations / app.core.errors, app.worker →
app.integrations.worker, ...), in the service's directory. It does four things:

1. Copier deletes every file of the old render that the new render no longer has, edited or not,
   silently, and does not carry edits to a new path. Your edits are still in git (HEAD: Copier
   only updates clean trees and never commits), so those to a moved module are merged here into
   its new home with `git merge-file`, against the file as the template shipped it: conflicts get
   the same <<<<<<< / >>>>>>> markers Copier writes. Edits to a module merged into another one
   are printed as a diff to carry by hand; edits to any other file the update deleted are named.
2. Your own files left in a package that moved (app/worker/) move with it.
3. Imports in every *.py file under app/, tests/, alembic/ and scripts/ are rewritten from the
   old module paths to the new ones, plain `import app.x` references and "app.x.y" patch
   targets too; a from-import whose names go to different modules is split, and the first-party
   import block it sits in stays sorted. Files whose imports do not change are not touched.
4. The project's own layer check (scripts/check_layers.py) runs: code that was fine in the old
   rooms may now import a layer above it (a service calling get_settings, now in
   app.bootstrap), which only you can redesign.

One line is printed per file changed, and a WARNING line for anything left to do by hand.
Running it again changes nothing. Standard library only; Python 3.10+ (what Copier runs on).

Usage (Copier passes the versions in VERSION_FROM/VERSION_TO):
    python migrations/rooms.py [--project DIR] [--template DIR] [--from REV]
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LINE_LENGTH = 100  # the generated pyproject.toml's [tool.ruff] line-length
SCANNED_DIRS = ("app", "tests", "alembic", "scripts")
FIRST_PARTY = frozenset({"app", "tests"})
TEMPLATE_SUBDIRECTORY = "template"  # copier.yml's _subdirectory
ANSWERS_FILE = ".copier-answers.yml"
LAYER_CHECK = "scripts/check_layers.py"  # the new layout's check of its layer order
CONFLICT_LABELS = ("before updating", "last update", "after updating")  # Copier's own labels

# Modules (and packages, with everything below them) that moved as a whole.
MODULE_MOVES: dict[str, str] = {
    "app.core.lifespan": "app.bootstrap.lifespan",
    "app.core.integrations": "app.bootstrap.integrations",
    "app.core.gunicorn_conf": "app.bootstrap.gunicorn_conf",
    "app.core.dependencies": "app.api.deps",
    "app.core.redis_client": "app.integrations.redis",
    "app.core.cache": "app.integrations.cache",
    "app.core.metrics": "app.integrations.metrics",
    "app.core.metrics_processes": "app.integrations.metrics_processes",
    "app.core.sentry": "app.integrations.sentry",
    "app.core.tracing": "app.integrations.tracing",
    "app.core.tracing_redis": "app.integrations.tracing_redis",
    "app.middleware.rate_limit": "app.integrations.rate_limit",
    "app.middleware.rate_limit_storage": "app.integrations.rate_limit_storage",
    "app.worker": "app.integrations.worker",
    "app.api.routes.health": "app.api.health",  # unversioned: outside the discovered routes
}

# Names that left a module which stays (or that go somewhere else than their module).
NAME_MOVES: dict[str, dict[str, str]] = {
    "app.core.config": dict.fromkeys(
        ("get_settings", "DevelopmentSettings", "ProductionSettings", "TestingSettings"),
        "app.bootstrap.settings",
    ),
    "app.middleware.error_handler": dict.fromkeys(
        (
            "error_response",
            "service_unavailable_response",
            "handle_dependency_unavailable",
        ),
        "app.core.errors",
    ),
    "app.api": {"API_V1_PREFIX": "app.core.config"},
    "app.core.lifespan": {"LifespanHook": "app.core.hooks"},
    # app/models/__init__.py imports every model module now instead of re-exporting the models.
    "app.models": {"User": "app.models.user"},
}

# Modules folded into a module that already has other content: a three-way merge of your edits
# into it would be noise, so they are shown instead.
MERGED_MODULES = frozenset({"app.core.dependencies"})

_READ_SESSION_GONE = "the AUTOCOMMIT read session is gone: use SessionDep or RowReader"
REMOVED: dict[str, dict[str, str]] = {
    "app.core.redis_client": {"get_redis": "it was never used: build on app.integrations.redis"},
    "app.db.session": {"create_read_session_factory": _READ_SESSION_GONE},
    "app.core.dependencies": {"get_read_session": _READ_SESSION_GONE},
    "app.api.deps": {"ReadSessionDep": _READ_SESSION_GONE},
    "app.api.routes": {
        "api_router": "routers are discovered: app.main includes versioned_router() from it"
    },
}

_DOTTED_STRING = re.compile(
    r"""^(?P<prefix>[rRuU]?)(?P<quote>['"])"""
    r"(?P<body>app(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?)"
    r"(?P=quote)$"
)
_JINJA_IF = re.compile(r"\{%-?\s*if\b[^%]*%\}(.*?)\{%-?\s*endif\s*-?%\}")


# --- where things went ---------------------------------------------------------------------------


def resolve_module(module: str) -> str:
    """The new name of a module (or of anything below a moved package)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        target = MODULE_MOVES.get(".".join(parts[:end]))
        if target is not None:
            return ".".join([target, *parts[end:]])
    return module


def resolve_reference(dotted: str) -> str:
    """The new spelling of a dotted reference: a module, or a module followed by attributes."""
    parts = dotted.split(".")
    for end in range(len(parts) - 1, 0, -1):
        target = NAME_MOVES.get(".".join(parts[:end]), {}).get(parts[end])
        if target is not None:
            return ".".join([target, *parts[end:]])
    return resolve_module(dotted)


def resolve_target(text: str) -> str:
    """A "module.attr" or "module:attr" string (patch targets, entry points)."""
    if ":" not in text:
        return resolve_reference(text)
    module, attribute = text.split(":", 1)
    moved = NAME_MOVES.get(module, {}).get(attribute.split(".", 1)[0])
    return f"{moved or resolve_module(module)}:{attribute}"


def removed_name(dotted: str) -> tuple[str, str, str] | None:
    """(module, name, why) when a dotted reference names something that no longer exists."""
    parts = dotted.split(".")
    for end in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:end])
        why = REMOVED.get(module, {}).get(parts[end])
        if why is not None:
            return module, parts[end], why
    return None


# --- import statements ---------------------------------------------------------------------------

Alias = tuple[str, "str | None"]  # (name, asname)


@dataclass(frozen=True)
class FromImport:
    module: str
    names: tuple[Alias, ...]
    level: int = 0  # > 0 for a relative import, kept only while nothing in it moves


@dataclass(frozen=True)
class PlainImport:
    module: str
    alias: str | None = None


Entry = FromImport | PlainImport


@dataclass
class Statement:
    line_start: int  # offset of the statement's first line
    start: int  # offset of its `from` / `import` keyword
    end: int  # offset just after its code (before a trailing comment)
    line_end: int  # offset after the NEWLINE ending it
    indent: str
    own_lines: bool  # nothing else on its lines (no `;`, not after a `:`)
    comments: list[str]
    original: list[Entry]
    entries: list[Entry] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.entries != self.original


def natural(text: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def member_key(alias: Alias) -> tuple[object, ...]:
    """isort's (and ruff's) default order of names: CONSTANTS, Classes, then the rest."""
    name, asname = alias
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, natural(name.lower()), name, asname or "")


def entry_key(entry: Entry) -> tuple[object, ...]:
    if isinstance(entry, PlainImport):
        return (0, natural(entry.module.lower()), entry.module, (), entry.alias or "")
    first = min(entry.names, key=member_key)
    section = 2 if entry.level else 1  # relative imports come last, as isort puts them
    return (section, natural(entry.module.lower()), entry.module, member_key(first), "")


def root_of(entry: Entry) -> str:
    return entry.module.split(".", 1)[0]


def absolute_module(node: ast.ImportFrom, package: str) -> str | None:
    if node.level == 0:
        return node.module
    parts = package.split(".") if package else []
    if node.level > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def entries_of(node: ast.Import | ast.ImportFrom) -> list[Entry]:
    if isinstance(node, ast.Import):
        return [PlainImport(alias.name, alias.asname) for alias in node.names]
    names = tuple((alias.name, alias.asname) for alias in node.names)
    return [FromImport(node.module or "", names, node.level)]


def route_from_import(module: str, names: Sequence[Alias]) -> list[FromImport]:
    """Send each imported name to the module it lives in now, one statement per module."""
    routed: dict[str, list[Alias]] = {}
    for name, asname in names:
        if name == "*":
            routed.setdefault(resolve_module(module), []).append((name, None))
            continue
        moved = NAME_MOVES.get(module, {}).get(name)
        if moved is not None:
            routed.setdefault(moved, []).append((name, asname))
            continue
        full = f"{module}.{name}"
        new_full = resolve_module(full)
        if new_full != full:  # `from app.core import cache`: the name is a module that moved
            parent, leaf = new_full.rsplit(".", 1)
            keep = asname if asname is not None else (name if leaf != name else None)
            if keep == leaf and asname != name:
                keep = None
            routed.setdefault(parent, []).append((leaf, keep))
            continue
        routed.setdefault(resolve_module(module), []).append((name, asname))
    return [FromImport(target, tuple(aliases)) for target, aliases in routed.items()]


def rewrite_entries(original: list[Entry], package: str) -> list[Entry]:
    result: list[Entry] = []
    for entry in original:
        if isinstance(entry, PlainImport):
            result.append(PlainImport(resolve_module(entry.module), entry.alias))
            continue
        if entry.module == "__future__":
            result.append(entry)
            continue
        module = entry.module
        if entry.level:
            node = ast.ImportFrom(module=entry.module or None, names=[], level=entry.level)
            resolved = absolute_module(node, package)
            if resolved is None:
                result.append(entry)
                continue
            module = resolved
        for routed in route_from_import(module, entry.names):
            if entry.level and routed.module == module:  # what did not move stays relative
                result.append(FromImport(entry.module, routed.names, entry.level))
            else:
                result.append(routed)
    return result


def format_entry(entry: Entry, indent: str, comment: str = "") -> str:
    suffix = f"  {comment}" if comment else ""
    if isinstance(entry, PlainImport):
        alias = f" as {entry.alias}" if entry.alias else ""
        return f"{indent}import {entry.module}{alias}{suffix}"
    names = [name if asname is None else f"{name} as {asname}" for name, asname in entry.names]
    module = "." * entry.level + entry.module
    line = f"{indent}from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH or (len(names) == 1 and names[0] == "*"):
        return line + suffix
    body = "".join(f"{indent}    {name},\n" for name in names)
    return f"{indent}from {module} import ({suffix}\n{body}{indent})"


def canonical(entries: Iterable[Entry]) -> list[Entry]:
    """Merge from-imports of one module (aliased names stay apart, as isort keeps them) and sort."""
    plain: list[Entry] = []
    merged: dict[tuple[str, int], list[Alias]] = {}
    aliased: list[Entry] = []
    for entry in entries:
        if isinstance(entry, PlainImport):
            if entry not in plain:
                plain.append(entry)
            continue
        for alias in entry.names:
            if alias[1] is None or alias[0] == "*":
                bucket = merged.setdefault((entry.module, entry.level), [])
                if alias not in bucket:
                    bucket.append(alias)
            else:
                single = FromImport(entry.module, (alias,), entry.level)
                if single not in aliased:
                    aliased.append(single)
    froms: list[Entry] = [
        FromImport(module, tuple(sorted(names, key=member_key)), level)
        for (module, level), names in merged.items()
    ]
    return sorted(plain, key=entry_key) + sorted([*froms, *aliased], key=entry_key)


def same_entry(left: Entry, right: Entry) -> bool:
    if isinstance(left, FromImport) and isinstance(right, FromImport):
        return (left.module, left.level, sorted(left.names, key=member_key)) == (
            right.module,
            right.level,
            sorted(right.names, key=member_key),
        )
    return left == right


# --- one source file -----------------------------------------------------------------------------


@dataclass
class Rewrite:
    text: str
    warnings: list[str]


_LAYOUT = frozenset(
    {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE}
)


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _scan(text: str) -> tuple[list[tokenize.TokenInfo], list[int]]:
    lines = _lines(text)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    tokens = list(tokenize.generate_tokens(iter([*lines, ""]).__next__))
    return tokens, offsets


def _statements(text: str, tokens: list[tokenize.TokenInfo], offsets: list[int]) -> list[Statement]:
    def at(position: tuple[int, int]) -> int:
        return offsets[position[0] - 1] + position[1]

    skip = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    statements: list[Statement] = []
    index = 0
    line_begins = True  # the next statement starts a line (not after `;`)
    while index < len(tokens):
        token = tokens[index]
        if token.type in skip or token.type == tokenize.NEWLINE:
            if token.type == tokenize.NEWLINE:
                line_begins = True
            index += 1
            continue
        if token.type == tokenize.ENDMARKER:
            break
        first = index
        comments: list[str] = []
        last_code = token
        while index < len(tokens) and tokens[index].type not in (
            tokenize.NEWLINE,
            tokenize.ENDMARKER,
        ):
            current = tokens[index]
            if current.type == tokenize.OP and current.string == ";":
                break
            if current.type == tokenize.COMMENT:
                comments.append(current.string)
            elif current.type not in skip:
                last_code = current
            index += 1
        terminator = tokens[index] if index < len(tokens) else tokens[-1]
        own_lines = line_begins and terminator.type == tokenize.NEWLINE
        line_begins = False
        head = tokens[first]
        if head.type == tokenize.NAME and head.string in ("import", "from"):
            start, end = at(head.start), at(last_code.end)
            try:
                node = ast.parse(text[start:end]).body[0]
            except (SyntaxError, IndexError):
                node = None
            if isinstance(node, ast.Import | ast.ImportFrom):
                line_start = offsets[head.start[0] - 1]
                statements.append(
                    Statement(
                        line_start=line_start,
                        start=start,
                        end=end,
                        line_end=at(terminator.end),
                        indent=text[line_start:start],
                        own_lines=own_lines and not text[line_start:start].strip(),
                        comments=comments,
                        original=entries_of(node),
                    )
                )
        if index < len(tokens) and tokens[index].type == tokenize.OP:
            index += 1  # the `;`
    return statements


def _runs(statements: list[Statement]) -> list[list[Statement]]:
    """Consecutive own-line statements at one indentation, with no blank or comment line between."""
    runs: list[list[Statement]] = []
    for statement in statements:
        previous = runs[-1][-1] if runs else None
        if (
            previous is not None
            and statement.own_lines
            and previous.own_lines
            and previous.line_end == statement.line_start
            and previous.indent == statement.indent
        ):
            runs[-1].append(statement)
        else:
            runs.append([statement])
    return runs


def _newline(text: str, statement: Statement) -> str:
    ending = text[statement.end : statement.line_end]
    return "\r\n" if ending.endswith("\r\n") else "\n" if ending.endswith("\n") else ""


def _keys(entry: Entry) -> list[tuple[str, str, str]]:
    if isinstance(entry, PlainImport):
        return [(entry.module, "", entry.alias or "")]
    return [(entry.module, name, asname or "") for name, asname in entry.names]


def _with_comments(entry: Entry, indent: str, comments: list[str]) -> list[str]:
    """One comment trails the statement; several go on their own lines above it."""
    if len(comments) == 1:
        return [format_entry(entry, indent, comments[0])]
    return [f"{indent}{comment}" for comment in comments] + [format_entry(entry, indent)]


def _emit_statement(statement: Statement) -> str:
    lines: list[str] = []
    comments = statement.comments
    for entry in canonical(statement.entries):
        lines += _with_comments(entry, statement.indent, comments)
        comments = []
    return "\n".join(lines)


def _emit_run(run: list[Statement], text: str) -> str | None:
    """The run sorted and merged as isort would, reusing the text of statements that stay."""
    entries = [entry for statement in run for entry in statement.entries]
    if any(
        root_of(entry) not in FIRST_PARTY or (isinstance(entry, FromImport) and entry.level)
        for entry in entries
    ):
        return None
    unchanged = [
        statement for statement in run if not statement.changed and len(statement.original) == 1
    ]
    commented = {
        key: statement
        for statement in run
        if statement.comments
        for entry in statement.entries
        for key in _keys(entry)
    }
    placed: set[int] = set()
    lines: list[str] = []
    for entry in canonical(entries):
        reuse = next((s for s in unchanged if same_entry(s.original[0], entry)), None)
        if reuse is not None:
            unchanged.remove(reuse)
            placed.add(id(reuse))
            lines.append(text[reuse.line_start : reuse.line_end].rstrip("\r\n"))
            continue
        comments: list[str] = []
        for key in _keys(entry):
            owner = commented.get(key)
            if owner is not None and id(owner) not in placed:
                placed.add(id(owner))
                comments += owner.comments
        lines += _with_comments(entry, run[0].indent, comments)
    return "\n".join(lines)


class _SourceRewriter:
    """The rewrite of one file: its import statements, then the references elsewhere."""

    def __init__(self, text: str, package: str, path: str) -> None:
        self.text, self.package, self.path = text, package, path
        self.tokens, self.offsets = _scan(text)
        self.statements = _statements(text, self.tokens, self.offsets)
        self.warnings: list[str] = []
        self.replacements: list[tuple[int, int, str]] = []
        self.plain_app = False  # `import app.x` binds `app`: references spell the full path
        self.bindings: dict[str, str] = {}  # local name -> old module some names left
        self.needed: dict[str, str] = {}  # module a rewritten reference needs -> where it was

    def at(self, position: tuple[int, int]) -> int:
        return self.offsets[position[0] - 1] + position[1]

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{self.path}:{line}: {message}")

    def run(self) -> Rewrite:
        for statement in self.statements:
            statement.entries = rewrite_entries(statement.original, self.package)
            self._note(statement)
        self._references()
        references = list(self.replacements)
        self._add_needed_imports()
        self._emit()
        result = self.text
        for start, end, new in sorted(self.replacements, reverse=True):
            result = result[:start] + new + result[end:]
        self._check_lengths(result, references)
        return Rewrite(result, self.warnings)

    def _check_lengths(self, result: str, references: list[tuple[int, int, str]]) -> None:
        """A longer module path can push a line past the limit: ruff format will not fix that."""
        reported: set[int] = set()
        for start, _, _ in references:
            shift = sum(len(new) - (b - a) for a, b, new in self.replacements if a < start)
            moved = start + shift
            begin = result.rfind("\n", 0, moved) + 1
            finish = result.find("\n", moved)
            line = result[begin : finish if finish >= 0 else len(result)].rstrip("\r")
            number = result.count("\n", 0, moved) + 1
            if len(line) > LINE_LENGTH and number not in reported:
                reported.add(number)
                self.warn(number, f"now {len(line)} characters long (limit {LINE_LENGTH})")

    def _note(self, statement: Statement) -> None:
        """Bindings the references depend on, and imports of names that are gone."""
        line = self.text.count("\n", 0, statement.start) + 1
        for entry in statement.original:
            if isinstance(entry, PlainImport):
                if entry.alias is None and root_of(entry) == "app":
                    self.plain_app = True
                elif entry.alias and entry.module in NAME_MOVES:
                    self.bindings[entry.alias] = entry.module
                continue
            module = entry.module
            if entry.level:
                node = ast.ImportFrom(module=entry.module or None, names=[], level=entry.level)
                module = absolute_module(node, self.package) or module
            for name, asname in entry.names:
                gone = REMOVED.get(module, {}).get(name)
                if gone is not None:
                    self.warn(line, f"{module}.{name} no longer exists ({gone})")
                if f"{module}.{name}" in NAME_MOVES:
                    self.bindings[asname or name] = f"{module}.{name}"
                if name == "*" and module in NAME_MOVES:
                    moved = ", ".join(sorted(NAME_MOVES[module]))
                    self.warn(
                        line,
                        f"`from {module} import *` no longer brings {moved}: import them from"
                        " their new modules",
                    )

    def _references(self) -> None:
        """Dotted strings ("app.x.y", "app.x:y") and `app.x.y` chains outside the imports."""
        spans = [(statement.start, statement.end) for statement in self.statements]
        significant = [token for token in self.tokens if token.type not in _LAYOUT]
        index = 0
        while index < len(significant):
            token = significant[index]
            previous = significant[index - 1] if index else None
            after_dot = previous is not None and previous.string == "."
            if token.type == tokenize.STRING:
                self._string(token)
            elif token.type == tokenize.NAME and not after_dot:
                offset = self.at(token.start)
                chain = [token]
                while (
                    index + 2 < len(significant)
                    and significant[index + 1].string == "."
                    and significant[index + 2].type == tokenize.NAME
                ):
                    chain.append(significant[index + 2])
                    index += 2
                if len(chain) > 1 and not any(a <= offset < b for a, b in spans):
                    self._chain(chain)
            index += 1

    def _string(self, token: tokenize.TokenInfo) -> None:
        match = _DOTTED_STRING.match(token.string)
        if match is None:
            return
        body = match["body"]
        gone = removed_name(body.replace(":", "."))
        if gone is not None:
            self.warn(token.start[0], f"{gone[0]}.{gone[1]} no longer exists ({gone[2]})")
        new_body = resolve_target(body)
        if new_body != body:
            quoted = f"{match['prefix']}{match['quote']}{new_body}{match['quote']}"
            self.replacements.append((self.at(token.start), self.at(token.end), quoted))

    def _chain(self, chain: list[tokenize.TokenInfo]) -> None:
        head, attribute = chain[0].string, chain[1].string
        line = chain[0].start[0]
        if head in self.bindings:
            module = self.bindings[head]
            target = NAME_MOVES[module].get(attribute)
            if target is not None:
                self.warn(
                    line,
                    f"{head}.{attribute}: {attribute} moved from {module} to {target};"
                    " import it from there",
                )
            return
        if head != "app" or not self.plain_app:
            return
        dotted = ".".join(part.string for part in chain)
        gone = removed_name(dotted)
        if gone is not None:
            self.warn(line, f"{gone[0]}.{gone[1]} no longer exists ({gone[2]})")
        new_dotted = resolve_reference(dotted)
        if new_dotted == dotted:
            return
        self.replacements.append((self.at(chain[0].start), self.at(chain[-1].end), new_dotted))
        parts = dotted.split(".")
        for end in range(len(parts) - 1, 0, -1):
            moved = NAME_MOVES.get(".".join(parts[:end]), {}).get(parts[end])
            if moved is not None:
                self.needed.setdefault(moved, resolve_module(".".join(parts[:end])))
                return

    def _add_needed_imports(self) -> None:
        """`app.bootstrap.settings.get_settings()` needs `import app.bootstrap.settings`."""
        plain = [
            statement
            for statement in self.statements
            if any(
                isinstance(entry, PlainImport) and entry.alias is None and root_of(entry) == "app"
                for entry in statement.entries
            )
        ]
        for module, beside in self.needed.items():
            if not plain or any(PlainImport(module) in s.entries for s in plain):
                continue
            anchor = next((s for s in plain if PlainImport(beside) in s.entries), plain[0])
            anchor.entries = [*anchor.entries, PlainImport(module)]

    def _emit(self) -> None:
        text = self.text
        for run in _runs(self.statements):
            if not any(statement.changed for statement in run):
                continue
            newline = _newline(text, run[-1]) or "\n"
            emitted = _emit_run(run, text) if run[0].own_lines else None
            if emitted is not None:
                ending = _newline(text, run[-1])
                self.replacements.append(
                    (run[0].line_start, run[-1].line_end, emitted.replace("\n", newline) + ending)
                )
                continue
            for statement in run:
                if not statement.changed:
                    continue
                if statement.own_lines:
                    one = _emit_statement(statement).replace("\n", newline) + _newline(
                        text, statement
                    )
                    self.replacements.append((statement.line_start, statement.line_end, one))
                else:
                    inline = "; ".join(
                        format_entry(entry, "").replace("\n", " ")
                        for entry in canonical(statement.entries)
                    )
                    self.replacements.append((statement.start, statement.end, inline))


def rewrite_source(text: str, package: str, path: str = "<source>") -> Rewrite:
    """Rewrite the old module paths in one file's source; the text is unchanged if none occur.

    `package` is the file's package (for relative imports); raises SyntaxError or
    tokenize.TokenError on a file Python cannot tokenize.
    """
    return _SourceRewriter(text, package, path).run()


# --- the project ---------------------------------------------------------------------------------


def module_of(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(relative: Path) -> str:
    module = module_of(relative)
    return module if relative.name == "__init__.py" else module.rpartition(".")[0]


def path_of(module: str, package: bool) -> str:
    base = module.replace(".", "/")
    return f"{base}/__init__.py" if package else f"{base}.py"


def python_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for directory in SCANNED_DIRS:
        base = root / directory
        if base.is_dir():
            found.extend(
                path
                for path in base.rglob("*.py")
                if path.is_file() and "__pycache__" not in path.parts
            )
    return sorted(found)


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=check)


class Report:
    def __init__(self, out: Callable[[str], None] = print) -> None:
        self.out = out
        self.warnings = 0

    def done(self, message: str) -> None:
        self.out(f"rooms: {message}")

    def warn(self, message: str) -> None:
        self.warnings += 1
        self.out(f"rooms: WARNING {message}")


def rewrite_project(root: Path, report: Report) -> list[str]:
    """Rewrite the imports of every scanned file; the relative paths of the files changed."""
    changed: list[str] = []
    for path in python_files(root):
        relative = path.relative_to(root)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
            rewrite = rewrite_source(text, package_of(relative), relative.as_posix())
        except (UnicodeDecodeError, SyntaxError, tokenize.TokenError) as error:
            content = raw.decode("utf-8", "replace")
            if any(old in content for old in [*MODULE_MOVES, *NAME_MOVES]):
                report.warn(f"{relative.as_posix()}: not read ({error}); check its imports by hand")
            continue
        for warning in rewrite.warnings:
            report.warn(warning)
        if rewrite.text != text:
            path.write_bytes(rewrite.text.encode("utf-8"))
            changed.append(relative.as_posix())
            report.done(f"{relative.as_posix()}: imports moved to the new rooms")
    return changed


@dataclass
class TemplateHistory:
    """The template's git repository at the version the project was rendered from."""

    repository: Path
    revision: str
    sources: dict[str, list[tuple[str, bool]]]  # rendered path -> [(source path, templated)]

    @classmethod
    def open(cls, repository: Path | None, version_from: str | None) -> TemplateHistory | None:
        if repository is None or not version_from:
            return None
        resolved = git(
            repository, "rev-parse", "--verify", "-q", f"{version_from}^{{commit}}", check=False
        )
        if resolved.returncode:
            return None
        revision = resolved.stdout.decode().strip()
        listed = git(
            repository, "ls-tree", "-r", "--name-only", revision, "--", f"{TEMPLATE_SUBDIRECTORY}/"
        )
        sources: dict[str, list[tuple[str, bool]]] = {}
        for source in listed.stdout.decode().splitlines():
            rendered = _JINJA_IF.sub(r"\1", source[len(TEMPLATE_SUBDIRECTORY) + 1 :])
            if "{{" in rendered or "{%" in rendered:
                continue
            templated = rendered.endswith(".jinja")
            rendered = rendered.removesuffix(".jinja")
            sources.setdefault(rendered, []).append((source, templated))
        return cls(repository, revision, sources)

    def shipped(self, rendered: str) -> list[str]:
        """What the template could have copied verbatim to a path (none if it rendered it)."""
        contents: list[str] = []
        for source, templated in self.sources.get(rendered, []):
            if templated:
                return []
            shown = git(self.repository, "show", f"{self.revision}:{source}", check=False)
            if shown.returncode == 0:
                contents.append(shown.stdout.decode("utf-8", "replace"))
        return contents


def merge_three(current: str, base: str, other: str) -> tuple[str, int]:
    with tempfile.TemporaryDirectory(prefix="rooms-merge-") as scratch:
        files = []
        for name, content in (("current", current), ("base", base), ("other", other)):
            target = Path(scratch) / name
            target.write_text(content, encoding="utf-8")
            files.append(str(target))
        labels = [arg for label in CONFLICT_LABELS for arg in ("-L", label)]
        merged = subprocess.run(
            ["git", "merge-file", "-p", *labels, *files], capture_output=True, check=False
        )
    if merged.returncode < 0 or merged.returncode > 127:
        raise RuntimeError(merged.stderr.decode(errors="replace"))
    return merged.stdout.decode("utf-8"), merged.returncode


def _deleted_by_update(root: Path) -> list[str]:
    """Files of HEAD missing from the working tree: Copier only updates a clean tree and never
    commits, so these are the files it deleted (the old render's files the new one lacks)."""
    listed = git(
        root,
        "diff",
        "--name-only",
        "--relative",
        "--no-renames",
        "--diff-filter=D",
        "HEAD",
        check=False,
    )
    return listed.stdout.decode().splitlines()


def _show(root: Path, revision: str, relative: str) -> str | None:
    shown = git(root, "show", f"{revision}:./{relative}", check=False)
    return shown.stdout.decode("utf-8", "replace") if shown.returncode == 0 else None


def _last_render(root: Path, relative: str) -> str | None:
    """The file as of the project's last commit that changed the answers file (its last render)."""
    logged = git(root, "log", "-1", "--format=%H", "--", ANSWERS_FILE, check=False)
    commit = logged.stdout.decode().strip()
    return _show(root, commit, relative) if commit else None


def _as_shipped(root: Path, history: TemplateHistory | None, relative: str) -> list[str]:
    """What the template rendered at a path: its source when copied verbatim, else the project's
    last render (right unless that commit also held your own edits)."""
    shipped = history.shipped(relative) if history is not None else []
    if not shipped:
        last = _last_render(root, relative)
        shipped = [last] if last is not None else []
    return shipped


def carry_edits(root: Path, history: TemplateHistory | None, report: Report) -> None:
    """Your edits to files the update deleted: merged into a moved module's new home, shown for
    a module merged into another, reported for anything else."""
    for old in _deleted_by_update(root):
        yours = _show(root, "HEAD", old)
        shipped = _as_shipped(root, history, old)
        if yours is None or yours in shipped:
            continue  # not edited by you: the template's new files are all there is
        module = module_of(Path(old)) if old.endswith(".py") else ""
        new_module = resolve_module(module) if module.startswith("app.") else module
        if new_module == module:
            report.warn(
                f"{old} was removed by the template but you had changed it; your version:"
                f" `git show HEAD:{old}`"
            )
            continue
        new = path_of(new_module, package=old.endswith("/__init__.py"))
        if not shipped:
            report.warn(
                f"{old} moved to {new}; cannot tell whether you changed it: compare"
                f" `git show HEAD:{old}` with {new}"
            )
            continue
        base = max(shipped, key=lambda text: difflib.SequenceMatcher(None, text, yours).ratio())
        if module in MERGED_MODULES:
            diff = difflib.unified_diff(
                base.splitlines(),
                yours.splitlines(),
                f"{old} (as the template shipped it)",
                f"{old} (yours, in git HEAD)",
                lineterm="",
            )
            report.warn(
                f"{old} was merged into {new}; carry your changes there by hand:\n"
                + "\n".join(f"    {line}" for line in diff)
            )
            continue
        target = root / new
        if not target.is_file():
            report.warn(f"{old} (changed by you) has no new home at {new}: `git show HEAD:{old}`")
            continue
        theirs = target.read_text(encoding="utf-8")
        if f"<<<<<<< {CONFLICT_LABELS[0]}" in theirs:
            report.warn(f"{new} already has conflict markers: {old} not merged again")
            continue
        package = package_of(Path(new))
        merged, conflicts = merge_three(
            rewrite_source(yours, package).text, rewrite_source(base, package).text, theirs
        )
        if merged == theirs:
            continue
        target.write_text(merged, encoding="utf-8")
        if conflicts:
            report.warn(
                f"{old} -> {new}: your changes carried over with {conflicts} conflict(s);"
                " resolve the <<<<<<< / >>>>>>> markers"
            )
        else:
            report.done(f"{old} -> {new}: your changes carried over")


def move_leftovers(root: Path, report: Report) -> None:
    """Your own files in a package that moved (Copier removes only the template's) follow it."""
    for old_module, new_module in MODULE_MOVES.items():
        old_dir = root / old_module.replace(".", "/")
        if not old_dir.is_dir():
            continue
        new_dir = root / new_module.replace(".", "/")
        for path in sorted(old_dir.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(old_dir)
            target = new_dir / relative
            shown_old = path.relative_to(root).as_posix()
            shown_new = target.relative_to(root).as_posix()
            if target.exists():
                report.warn(f"{shown_old} stays where it is: {shown_new} already exists")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), str(target))
            report.done(f"{shown_old} -> {shown_new}: moved with its package")
        for directory in sorted(old_dir.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if directory.is_dir() and directory.name == "__pycache__":
                shutil.rmtree(directory)
        for directory in sorted(
            [old_dir, *old_dir.rglob("*")], key=lambda p: len(p.parts), reverse=True
        ):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()


def check_layers(root: Path, report: Report) -> None:
    """Code that was fine in the old rooms can sit below what it imports in the new ones (a
    service calling get_settings, now in app.bootstrap): the project's own layer check says so."""
    script = root / LAYER_CHECK
    if not script.is_file():
        return
    checked = subprocess.run(
        [sys.executable, str(script), str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode == 0:
        return
    problems = [line for line in checked.stdout.splitlines() if line.strip()]
    if checked.returncode != 1 or not problems:
        report.warn(f"{LAYER_CHECK} failed: {checked.stderr.strip()[-500:]}")
        return
    for problem in problems:
        report.warn(f"{problem} (the new layers, {LAYER_CHECK}: tests/test_layers.py fails)")


def migrate(
    root: Path,
    template: Path | None,
    version_from: str | None,
    out: Callable[[str], None] = print,
) -> Report:
    report = Report(out)
    history = TemplateHistory.open(template, version_from)
    carry_edits(root, history, report)
    move_leftovers(root, report)
    rewrite_project(root, report)
    check_layers(root, report)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument(
        "--template",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="the template's git repository (default: the one holding this script)",
    )
    parser.add_argument(
        "--from",
        dest="version_from",
        default=os.environ.get("VERSION_FROM"),
        help="the template version the project was rendered from (default: $VERSION_FROM)",
    )
    args = parser.parse_args(argv)
    report = migrate(args.project.resolve(), args.template, args.version_from)
    if report.warnings:
        report.done(f"{report.warnings} thing(s) above to finish by hand before committing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
