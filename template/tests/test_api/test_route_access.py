"""Every route has the access its data needs, and none is public by accident. Each operation of
the OpenAPI document is called without a token (401 unless public) and as a plain user (403 when
for admins only); what it does must be what ACCESS says (the template's routes) or
SERVICE_ACCESS (yours, in tests/service_routes.py). A route missing from both fails: a new route,
an option's or yours, is given its rule on purpose."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from httpx import AsyncClient

from tests.service_routes import SERVICE_ACCESS
from tests.support import ADMIN, PUBLIC, USER

# Every route of every render (an option's routes are listed whether or not this one has them).
ACCESS = {
    "GET /health": PUBLIC,
    "GET /health/detailed": PUBLIC,
    "POST /api/v1/auth/register": PUBLIC,
    "POST /api/v1/auth/login": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "POST /api/v1/auth/refresh": PUBLIC,
    "POST /api/v1/auth/logout": PUBLIC,
    "POST /api/v1/auth/logout-all": USER,
    "POST /api/v1/auth/password-reset": PUBLIC,
    "POST /api/v1/auth/password-reset/confirm": PUBLIC,
    "POST /api/v1/auth/verify-email/request": PUBLIC,
    "POST /api/v1/auth/verify-email/confirm": PUBLIC,
    "POST /api/v1/auth/email-change": USER,
    "POST /api/v1/auth/email-change/confirm": PUBLIC,
    "GET /api/v1/users/me": USER,
    "PATCH /api/v1/users/me": USER,
    "DELETE /api/v1/users/me": USER,
    "POST /api/v1/users/me/password": USER,
    "GET /api/v1/users": ADMIN,
    "GET /api/v1/users/{user_id}": ADMIN,
    "PATCH /api/v1/users/{user_id}": ADMIN,
    "DELETE /api/v1/users/{user_id}": ADMIN,
    "POST /api/v1/items": USER,
    "GET /api/v1/items": USER,
    "GET /api/v1/items/{item_id}": USER,
    "PATCH /api/v1/items/{item_id}": USER,
    "DELETE /api/v1/items/{item_id}": USER,
    "POST /api/v1/notifications": USER,
    "GET /api/v1/reports/users": ADMIN,
}


def operations(app: FastAPI) -> list[str]:
    paths = app.openapi()["paths"]
    return sorted(f"{method.upper()} {path}" for path, items in paths.items() for method in items)


async def observed_access(client: AsyncClient, operation: str, user: dict[str, str]) -> str:
    """The rule the route applies, from what it answers; a body of `{}` and random ids keep any
    call from changing something (a plain user's `logout-all` ends only refresh tokens)."""
    method, path = operation.split(" ", 1)
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    if (await client.request(method, url, json={})).status_code != 401:
        return PUBLIC
    as_user = await client.request(method, url, json={}, headers=user)
    return ADMIN if as_user.status_code == 403 else USER


async def test_every_route_applies_the_access_rule_listed_for_it(
    app: FastAPI, client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    listed = {**ACCESS, **SERVICE_ACCESS}
    served = operations(app)
    unlisted = [operation for operation in served if operation not in listed]
    assert not unlisted, f"give these routes a rule in tests/service_routes.py: {unlisted}"

    observed = {op: await observed_access(client, op, auth_headers) for op in served}

    assert observed == {operation: listed[operation] for operation in served}
