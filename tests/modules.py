"""Load a Python module from a file path: the repository's own, or one of a render."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_module(path: Path | str, name: str | None = None) -> ModuleType:
    """The module at `path` (absolute, or relative to the repository's root).

    Without a name, a file of one of the repository's packages (``tests/docs/test_site.py``) is
    imported under its dotted name, so a module pytest has already imported is that same module;
    any other file (one of a render) is executed as ``loaded_<stem>``. A module loaded from its
    file is in ``sys.modules`` while it executes, as dataclasses need; loading the same file under
    the same name again returns it.
    """
    path = Path(path)
    path = (path if path.is_absolute() else ROOT / path).resolve()
    if name is None:
        dotted = _dotted_name(path)
        if dotted is not None:
            return importlib.import_module(dotted)
        name = f"loaded_{path.stem}"
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path:
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None, f"{path} is not a Python module"
    assert spec.loader is not None, f"{path} is not a Python module"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _dotted_name(path: Path) -> str | None:
    """tests/docs/test_site.py -> tests.docs.test_site, when every folder up to the root is a
    package; None otherwise."""
    if path.suffix != ".py" or not path.is_relative_to(ROOT):
        return None
    parts = path.relative_to(ROOT).with_suffix("").parts
    folder = ROOT
    for part in parts[:-1]:
        folder = folder / part
        if not (folder / "__init__.py").is_file():
            return None
    return ".".join(parts) if len(parts) > 1 else None
