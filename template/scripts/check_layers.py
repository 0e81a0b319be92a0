"""Check that app/ keeps its layers: no module imports one above it, and no modules import each
other in a circle. Prints one line per problem and exits 1; silent and 0 when all is well.

    python scripts/check_layers.py [project root]

Layers, bottom to top; a module may import its own layer and the ones below. A new package
under app/ must be placed in LAYERS before anything imports it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),  # configuration, logging, security, errors, request context
    ("db", "models", "schemas"),
    ("services",),  # business rules
    ("integrations",),  # optional integrations, each with its settings
    ("middleware",),
    ("api",),  # routes and their dependencies
    ("bootstrap", "main"),  # the composition root: builds the app from everything above
)
FLOOR: dict[str, int] = {room: floor for floor, rooms in enumerate(LAYERS) for room in rooms}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every import in the module, function-level ones included."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from app.api import deps` imports the module app.api.deps.
                yield node.lineno, f"{base}.{alias.name}" if alias.name != "*" else base


def resolve(name: str, modules: set[str]) -> str | None:
    """The app module an imported name lives in, or None for anything outside app/."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or around a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def problems(root: Path) -> list[str]:
    sources = {module_name(path, root): path for path in sorted((root / "app").rglob("*.py"))}
    modules = set(sources)
    graph: dict[str, set[str]] = {module: set() for module in modules}
    found: list[str] = []
    for module, path in sources.items():
        where = path.relative_to(root)
        own = room(module)
        if own and own not in FLOOR:
            found.append(f"{where}: app/{own} is in no layer; add it to LAYERS in {__file__}")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imported_modules(tree, module, path.name == "__init__.py"):
            target = resolve(name, modules)
            if target is None or target == module:
                continue
            graph[module].add(target)
            other = room(target)
            if own and other in FLOOR and FLOOR[other] > FLOOR[own]:
                found.append(f"{where}:{line}: {own} imports {target}, a layer above it ({other})")
    for group in cycles(graph):
        found.append(f"import cycle: {' -> '.join(group)}")
    return found


def main(arguments: list[str]) -> int:
    root = Path(arguments[0]) if arguments else Path(__file__).resolve().parent.parent
    found = problems(root)
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
