"""The shell commands the docs show, and the registry of how each one is exercised.

Every shell command in a ```bash / ```console / ```shell block of README.md or docs/*.md must have
an entry in tests/docs/commands.toml saying how it is exercised:

- ``run = "tests/docs/test_x.py::test_y"``: that docs test runs it for real; it must call
  ``documented(<the command>)``, which fails when the docs no longer show that exact command.
- ``covered = [{test = "tests/x/y.py::name", fragments = [...]}, ...]``: existing tests run it
  or, for what cannot run here (Docker, a 4-minute benchmark, the whole suite from inside
  itself), check it; each named function must exist and its source must contain the named
  fragments, so a stale mapping fails.

A command shown in the docs without an entry, or an entry no longer shown, fails the cheap tier
(tests/docs/test_registry.py).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import TEMPLATE_ROOT

DOC_FILES = [TEMPLATE_ROOT / "README.md", *sorted((TEMPLATE_ROOT / "docs").glob("*.md"))]
SHELL_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>bash|console|shell|sh)[ \t]*\n(?P<body>.*?)^(?P=indent)```",
    re.MULTILINE | re.DOTALL,
)
REGISTRY = Path(__file__).with_name("commands.toml")


# --------------------------------------------------------------------------- extraction


def _strip_comment(line: str) -> str:
    """Drop a trailing `# comment` that is outside quotes."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def commands_in(text: str) -> list[str]:
    """Every command of the shell fences of a Markdown text, normalised to one line each."""
    found: list[str] = []
    for fence in SHELL_FENCE.finditer(text):
        lines = fence.group("body").splitlines()
        if fence.group("lang") == "console":
            lines = [line.strip()[2:] for line in lines if line.strip().startswith("$ ")]
        logical = ""
        for line in lines:
            line = line.strip()
            if line.endswith("\\"):
                logical += line[:-1] + " "
                continue
            logical += line
            command = " ".join(_strip_comment(logical).split())
            logical = ""
            if command:
                found.append(command)
    return found


def documented_commands() -> dict[str, list[str]]:
    """command -> the files showing it."""
    shown: dict[str, list[str]] = {}
    for path in DOC_FILES:
        for command in commands_in(path.read_text()):
            shown.setdefault(command, []).append(str(path.relative_to(TEMPLATE_ROOT)))
    return shown


def documented(command: str) -> str:
    """The command, exactly as the docs show it; fails when they no longer do."""
    assert command in documented_commands(), f"the docs no longer show: {command}"
    return command


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Run:
    """Run for real by `test` ("tests/docs/test_x.py::test_y"), which calls documented(<it>)."""

    test: str


@dataclass(frozen=True)
class Covered:
    """Exercised or checked by existing functions: ("tests/x.py::name", (fragments...)) each."""

    by: tuple[tuple[str, tuple[str, ...]], ...]


def load_registry(path: Path = REGISTRY) -> dict[str, Run | Covered]:
    """command -> how it is exercised, from commands.toml; a malformed entry is refused by name."""
    registry: dict[str, Run | Covered] = {}
    for command, entry in tomllib.loads(path.read_text()).items():
        registry[command] = _entry(command, entry)
    return registry


def _entry(command: str, entry: object) -> Run | Covered:
    where = f"{REGISTRY.name}: [{command!r}]"
    if not isinstance(entry, dict) or set(entry) not in ({"run"}, {"covered"}):
        raise ValueError(f"{where} needs exactly one of `run` or `covered`")
    if "run" in entry:
        if not isinstance(entry["run"], str) or "::" not in entry["run"]:
            raise ValueError(f'{where}: run = "tests/docs/test_x.py::test_y"')
        return Run(entry["run"])
    by = entry["covered"]
    if not isinstance(by, list) or not by:
        raise ValueError(f"{where}: covered is a non-empty list")
    checks: list[tuple[str, tuple[str, ...]]] = []
    for check in by:
        if (
            not isinstance(check, dict)
            or set(check) != {"test", "fragments"}
            or not isinstance(check["test"], str)
            or "::" not in check["test"]
            or not isinstance(check["fragments"], list)
            or not check["fragments"]
            or not all(isinstance(fragment, str) for fragment in check["fragments"])
        ):
            raise ValueError(
                f'{where}: each covered is {{test = "tests/x.py::name", fragments = ["..."]}}'
            )
        checks.append((check["test"], tuple(check["fragments"])))
    return Covered(tuple(checks))
