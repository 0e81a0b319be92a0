"""Who may call each of your service's own routes. This file is yours: the template ships it once
and never changes it. `tests/test_api/test_route_access.py` calls every route and holds it to
its rule here (yours) or in its own table (the template's), so a public route is never one by
accident. Key: "METHOD /path" as the OpenAPI document writes it.

    SERVICE_ACCESS = {
        "GET /api/v1/projects": USER,
        "GET /api/v1/projects/{project_id}/stats": ADMIN,
        "GET /api/v1/status-page": PUBLIC,
    }
"""

from __future__ import annotations

from tests.support import ADMIN, PUBLIC, USER

__all__ = ["ADMIN", "PUBLIC", "SERVICE_ACCESS", "USER"]

SERVICE_ACCESS: dict[str, str] = {}
