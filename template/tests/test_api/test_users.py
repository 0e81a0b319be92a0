"""Who the caller is, whichever kind of accounts the service has: GET /users/me, and the plain
challenge of a request that brings no bearer token. A token that is there but wrong is the
accounts' own business: test_account_tokens.py (the service's own), test_provider_tokens.py (a
provider's)."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

ME = "/api/v1/users/me"


async def test_me_returns_the_current_user(
    client: AsyncClient, auth_headers: dict[str, str], registered_user: dict[str, Any]
) -> None:
    response = await client.get(ME, headers=auth_headers)

    assert response.status_code == 200
    assert response.json() == registered_user


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dGVzdHVzZXI6cGFzcw=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer"},
    ],
    ids=["missing header", "other scheme", "empty bearer", "bare scheme"],
)
async def test_a_request_without_a_bearer_token_gets_a_plain_challenge(
    client: AsyncClient, registered_user: dict[str, Any], headers: dict[str, str]
) -> None:
    response = await client.get(ME, headers=headers)

    assert response.status_code == 401
    # No error code: the client brought no token to be wrong (RFC 6750, section 3.1).
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == {"detail", "request_id"}
