"""Routes and models are found, not listed: a service adds a module and edits nothing else."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

import app.models
from app.api.routes import RouterNotFoundError, versioned_router
from app.core.config import API_V1_PREFIX
from app.core.discovery import public_submodules
from app.db.base import Base
from tests.support import PROJECT_ROOT

ROUTE_MODULE = """from fastapi import APIRouter

router = APIRouter(prefix="/{name}", tags=["{name}"])


@router.get("")
async def listing() -> list[str]:
    return ["{name}"]
"""

PackageMaker = Callable[[dict[str, str]], str]


@pytest.fixture
def make_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PackageMaker]:
    """A throwaway importable package with the given modules; returns its name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(modules: dict[str, str]) -> str:
        name = f"scratch_{uuid.uuid4().hex[:8]}"
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text("")
        for module, source in modules.items():
            (package / f"{module}.py").write_text(source)
        return name

    yield make
    for module in [m for m in sys.modules if m.startswith("scratch_")]:
        del sys.modules[module]


def _paths(router_package: str) -> list[str]:
    application = FastAPI()
    application.include_router(versioned_router(router_package))
    return list(application.openapi()["paths"])


def test_every_public_module_with_a_router_is_served_in_name_order(
    make_package: PackageMaker,
) -> None:
    package = make_package(
        {
            "orders": ROUTE_MODULE.format(name="orders"),
            "invoices": ROUTE_MODULE.format(name="invoices"),
            "_pagination": "PAGE_SIZE = 20\n",  # a private helper: not a router, not served
        }
    )

    assert _paths(package) == ["/invoices", "/orders"]


def test_a_public_module_without_a_router_stops_the_start(make_package: PackageMaker) -> None:
    package = make_package({"helpers": "PAGE_SIZE = 20\n"})

    with pytest.raises(RouterNotFoundError, match=rf"{package}\.helpers defines no `router`"):
        versioned_router(package)


def test_a_module_that_fails_to_import_is_not_skipped(make_package: PackageMaker) -> None:
    package = make_package({"broken": "import a_module_that_does_not_exist\n"})

    with pytest.raises(ModuleNotFoundError, match="a_module_that_does_not_exist"):
        versioned_router(package)


def test_the_service_routes_are_those_of_the_routes_package(app: FastAPI) -> None:
    routes_dir = PROJECT_ROOT / "app" / "api" / "routes"
    modules = sorted(p.stem for p in routes_dir.glob("*.py") if not p.stem.startswith("_"))
    served_prefixes = {
        path.removeprefix(API_V1_PREFIX).split("/")[1]
        for path in app.openapi()["paths"]
        if path.startswith(API_V1_PREFIX)
    }

    prefixes = {
        module: importlib.import_module(f"app.api.routes.{module}").router.prefix.strip("/")
        for module in modules
    }

    # Whatever the modules are called (project_stats.py may serve /project-stats): every versioned
    # path is one module's, and every module serves something.
    assert served_prefixes == set(prefixes.values())
    assert all(prefixes.values()), prefixes


async def test_the_openapi_document_is_the_same_on_every_build(
    app: FastAPI, client: AsyncClient
) -> None:
    first = (await client.get("/openapi.json")).json()
    rebuilt = FastAPI()
    rebuilt.include_router(versioned_router())

    assert [p for p in first["paths"] if p.startswith(API_V1_PREFIX)] == [
        API_V1_PREFIX + path for path in rebuilt.openapi()["paths"]
    ]


def test_every_model_module_is_imported_with_the_models_package() -> None:
    models_dir = PROJECT_ROOT / "app" / "models"
    expected = {f"app.models.{p.stem}" for p in models_dir.glob("*.py") if p.stem != "__init__"}

    assert expected <= set(sys.modules)
    assert {module.__name__ for module in public_submodules(app.models.__name__)} == expected
    # Every table declared in those modules is on the metadata Alembic and the tests use.
    declared = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert declared <= expected
    assert "users" in Base.metadata.tables
