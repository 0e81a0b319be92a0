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


def test_a_package_in_no_layer_is_refused_with_how_to_place_it(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/clients/__init__.py": ""})

    [problem] = load_checker().problems(root)
    assert problem.startswith("app/clients/ is in no layer: say which one it sits beside")
    assert 'LAYER = "services"' in problem


def test_a_package_of_the_service_sits_beside_the_layer_it_declares(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services/__init__.py": "",
            "app/services/orders.py": "from app.billing.invoices import total\n",
            "app/billing/__init__.py": 'LAYER = "services"\n',
            "app/billing/invoices.py": "from app.api.deps import SessionDep\n",
            "app/api/__init__.py": "",
            "app/api/deps.py": "",
        },
    )

    # Beside services: services may import it, and it may not import the api above it.
    assert load_checker().problems(root) == [
        "app/billing/invoices.py:1: billing imports app.api.deps, a layer above it (api)"
    ]


def test_a_declared_layer_that_does_not_exist_is_named(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/billing/__init__.py": 'LAYER = "rules"\n'})

    [problem] = load_checker().problems(root)
    assert problem.startswith("app/billing/__init__.py: LAYER = 'rules' is no layer")


def test_a_module_beside_main_is_in_no_layer(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/helpers.py": ""})

    assert load_checker().problems(root) == [
        "app/helpers.py: a module beside app/main.py is in no layer; move it in one"
    ]


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
