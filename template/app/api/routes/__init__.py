"""The versioned API (/api/v1): every public module in this package is served, in name order.

Add `app/api/routes/orders.py` defining `router = APIRouter(prefix="/orders", tags=["orders"])`
and it is served; nothing else to edit. A public module here without a `router` stops the start
(put helpers in a module whose name starts with an underscore, or in app/services/). The
unversioned health probes live in app/api/health.py.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.api.serving import combine
from app.core.discovery import public_submodules


class RouterNotFoundError(RuntimeError):
    """A module in the routes package has no `router` to serve."""


def versioned_router(package: str = __name__) -> APIRouter:
    """Every public module's `router` in the package, in name order (flat where it can be:
    app/api/serving.py)."""
    routers = []
    for module in public_submodules(package):
        router = getattr(module, "router", None)
        if not isinstance(router, APIRouter):
            raise RouterNotFoundError(
                f"{module.__name__} defines no `router` (an APIRouter): every public module in"
                f" {package} is served; give helper modules a name starting with '_'"
            )
        routers.append(router)
    return combine(routers)
