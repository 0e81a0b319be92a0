"""The seed's end-to-end flow: register, log in, call a protected route."""

from __future__ import annotations

from httpx import AsyncClient

from tests.support import PASSWORD


async def test_full_auth_flow(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "test@example.com", "username": "testuser", "password": PASSWORD},
    )
    assert response.status_code == 201

    response = await client.post(
        "/api/v1/auth/login", json={"username": "testuser", "password": PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]

    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["username"] == "testuser"
