"""Check that app/ keeps its layers: no module imports one above it, and no modules import each
other in a circle. Prints one line per problem and exits 1; silent and 0 when all is well.

    python scripts/check_layers.py [project root]

Layers, bottom to top; a module may import its own layer and the ones below. A package of your
own under app/ says which layer it sits beside, in its `__init__.py`, with no edit here:

    LAYER = "services"  # app/billing/ sits on the floor of app/services/
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
    ("api", "tasks"),  # routes and their dependencies; the worker's tasks of the service
    ("bootstrap", "main"),  # the composition root: builds the app from everything above
)
FLOOR: dict[str, int] = {room: floor for floor, rooms in enumerate(LAYERS) for room in rooms}
DECLARATION = "LAYER"


def declared_layer(package_init: Path) -> str | None:
    """The layer a package of the service's own names in its `__init__.py` (`LAYER = "..."`)."""
    if not package_init.is_file():
        return None
    tree = ast.parse(package_init.read_text(encoding="utf-8"), filename=str(package_init))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [ast.unparse(target) for target in node.targets] == [DECLARATION]
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None


def floors(root: Path) -> tuple[dict[str, int], list[str]]:
    """The floor of every package of app/, the service's own included, and what is wrong with
    the declarations."""
    found = dict(FLOOR)
    problems: list[str] = []
    for package in sorted(path for path in (root / "app").iterdir() if path.is_dir()):
        if package.name in FLOOR or package.name.startswith(("_", ".")):
            continue
        declared = declared_layer(package / "__init__.py")
        if declared is None:
            problems.append(
                f"app/{package.name}/ is in no layer: say which one it sits beside in its"
                f' __init__.py, e.g. {DECLARATION} = "services" (one of: {", ".join(FLOOR)})'
            )
        elif declared not in FLOOR:
            problems.append(
                f"app/{package.name}/__init__.py: {DECLARATION} = {declared!r} is no layer"
                f" (one of: {', '.join(FLOOR)})"
            )
        else:
            found[package.name] = FLOOR[declared]
    return found, problems


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
    floor, found = floors(root)
    for module, path in sources.items():
        where = path.relative_to(root)
        own = room(module)
        if own and own not in floor:
            if not (root / "app" / own).is_dir():  # a package's problem is named by floors()
                found.append(f"{where}: a module beside app/main.py is in no layer; move it in one")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imported_modules(tree, module, path.name == "__init__.py"):
            target = resolve(name, modules)
            if target is None or target == module:
                continue
            graph[module].add(target)
            other = room(target)
            if own and other in floor and floor[other] > floor[own]:
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
