"""Packages the service extends by adding a module: routes and models are found, not listed.

A template-owned file that lists modules is edited by every service that adds one, so every
template release that adds its own conflicts with them under `copier update`. Discovery walks
the package instead: sorted, so the order (and the OpenAPI document) is the same on every
machine, and without catching anything, so a module that fails to import stops the start.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def public_submodules(package_name: str) -> list[ModuleType]:
    """Every module and subpackage directly inside the package, imported, in name order.

    Names starting with an underscore are private helpers and are left alone.
    """
    package = importlib.import_module(package_name)
    found = pkgutil.iter_modules(package.__path__)
    names = sorted(info.name for info in found if not info.name.startswith("_"))
    return [importlib.import_module(f"{package_name}.{name}") for name in names]
