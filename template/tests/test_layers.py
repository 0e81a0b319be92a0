"""app/ keeps its layers (scripts/check_layers.py): checked on every run of the suite."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tests.support import PROJECT_ROOT, load_script


def load_checker() -> ModuleType:
    return load_script("check_layers")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


def test_this_service_keeps_its_layers() -> None:
    assert load_checker().problems(PROJECT_ROOT) == []


def test_an_import_from_a_layer_above_is_named(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services/__init__.py": "",
            "app/services/billing.py": "from app.api.deps import SessionDep\n",
            "app/api/__init__.py": "",
            "app/api/deps.py": "SessionDep = object\n",
        },
    )

    assert load_checker().problems(root) == [
        "app/services/billing.py:1: services imports app.api.deps, a layer above it (api)"
    ]


def test_a_circle_of_imports_is_named(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services/__init__.py": "",
            "app/services/a.py": "from app.services import b\n",
            "app/services/b.py": "def f() -> None:\n    from app.services.a import g\n",
        },
    )

    assert load_checker().problems(root) == ["import cycle: app.services.a -> app.services.b"]


def test_a_package_in_no_layer_is_refused(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/clients/__init__.py": ""})

    [problem] = load_checker().problems(root)
    assert problem.startswith("app/clients/__init__.py: app/clients is in no layer")


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/config.py": "from ..api import deps\n",
            "app/api/__init__.py": "",
            "app/api/deps.py": "",
        },
    )

    assert load_checker().problems(root) == [
        "app/core/config.py:1: core imports app.api.deps, a layer above it (api)"
    ]
