"""Every route has the access its data needs, and none is public by accident. Each operation of
the OpenAPI document is called without a token (401 unless public) and as a plain user (403 when
for admins only); what it does must be what ACCESS says (the template's routes every kind of
accounts has), ACCOUNT_ACCESS (the routes of the service's own accounts, beside their tests in
test_account_routes.py, rendered with them) or SERVICE_ACCESS (yours, in
tests/service_routes.py). A route missing from all fails: a new route, an option's or yours, is
given its rule on purpose."""

from __future__ import annotations

import importlib
import importlib.util
import re
import uuid

from fastapi import FastAPI
from httpx import AsyncClient

from tests.service_routes import SERVICE_ACCESS
from tests.support import ADMIN, PUBLIC, USER

# Every route of every render whatever its kind of accounts (an option's routes are listed
# whether or not this one has them).
ACCESS = {
    "GET /health": PUBLIC,
    "GET /health/detailed": PUBLIC,
    "GET /api/v1/users/me": USER,
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


# Where the rules of the service's own accounts' routes are: a module a render with a provider's
# users does not have.
ACCOUNT_ROUTES_MODULE = "tests.test_api.test_account_routes"


def account_access() -> dict[str, str]:
    """ACCOUNT_ACCESS of the render's own accounts; none for a provider's users."""
    if importlib.util.find_spec(ACCOUNT_ROUTES_MODULE) is None:
        return {}
    table: dict[str, str] = importlib.import_module(ACCOUNT_ROUTES_MODULE).ACCOUNT_ACCESS
    return table


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
    listed = {**ACCESS, **account_access(), **SERVICE_ACCESS}
    served = operations(app)
    unlisted = [operation for operation in served if operation not in listed]
    assert not unlisted, f"give these routes a rule in tests/service_routes.py: {unlisted}"

    observed = {op: await observed_access(client, op, auth_headers) for op in served}

    assert observed == {operation: listed[operation] for operation in served}
