"""What the edge believes: the Host header only for ALLOWED_HOSTS, X-Forwarded-For only from
FORWARDED_ALLOW_IPS, no redirect built from the request, and nothing cached that carries
credentials (with the service's own accounts, its token responses too:
test_login_responses.py)."""

from __future__ import annotations

from fastapi import Request
from httpx import AsyncClient

from app.bootstrap.settings import AppSettings
from tests.support import client_for, started_app

ME = "/api/v1/users/me"


async def test_only_allowed_hosts_are_answered(settings: AppSettings) -> None:
    hosts = settings.model_copy(
        update={"ALLOWED_HOSTS": ["api.example.com", "*.tenants.example.com"]}
    )
    async with started_app(hosts) as app, client_for(app) as client:
        allowed = await client.get(ME, headers={"Host": "api.example.com:8443"})
        subdomain = await client.get(ME, headers={"Host": "eu.tenants.example.com"})
        refused = await client.get(ME, headers={"Host": "evil.example.net"})
        probe = await client.get("/health", headers={"Host": "10.244.1.7:8000"})

    assert allowed.status_code == subdomain.status_code == 401  # past the host check
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "Invalid host header",
        "request_id": refused.headers["x-request-id"],
    }
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert probe.status_code == 200  # probes reach pods by address


async def test_a_trailing_slash_is_not_redirected(client: AsyncClient) -> None:
    response = await client.get(f"{ME}/", headers={"Host": "evil.example.net"})

    assert response.status_code == 404
    assert "location" not in response.headers


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings: AppSettings) -> None:
    """The address every layer sees (access log, rate limits) is the one the app resolves."""

    async def client_address(request: Request) -> dict[str, str | None]:
        return {"client": request.client.host if request.client else None}

    proxied = settings.model_copy(update={"FORWARDED_ALLOW_IPS": ["10.0.0.0/8"]})
    # The client wrote the first entry itself; the trusted proxy appended the address it saw.
    spoofed = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7"}
    async with started_app(proxied) as app:
        app.add_api_route("/client-address", client_address)
        async with client_for(app, "10.0.0.2") as through_proxy:
            via_proxy = await through_proxy.get("/client-address", headers=spoofed)
        async with client_for(app, "192.0.2.10") as direct:
            without_proxy = await direct.get("/client-address", headers=spoofed)

    assert via_proxy.json() == {"client": "203.0.113.7"}
    assert without_proxy.json() == {"client": "192.0.2.10"}


async def test_answers_to_authenticated_requests_are_never_stored(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    me = await client.get(ME, headers=auth_headers)
    refused = await client.get(ME, headers={"Authorization": "Bearer not-a-token"})
    # Without credentials the answer is nobody's own: its caching is left to the route.
    anonymous = await client.get(ME)

    assert me.status_code == 200
    assert me.headers["cache-control"] == "no-store"
    assert refused.status_code == anonymous.status_code == 401
    assert refused.headers["cache-control"] == "no-store"
    assert "cache-control" not in anonymous.headers
