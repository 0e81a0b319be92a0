from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.bootstrap.settings import AppSettings
from tests.support import UNREACHABLE_DATABASE_URL, client_for, log_records, started_app

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


async def test_unhandled_error_is_a_500_json_with_request_id_and_no_trace(
    failing_app: FastAPI, client: AsyncClient, json_log: io.StringIO
) -> None:
    response = await client.get("/explode")

    assert response.status_code == 500
    body = response.json()
    assert body == {"detail": "Internal server error", "request_id": body["request_id"]}
    assert body["request_id"] == response.headers["x-request-id"]
    assert "secret internal detail" not in response.text
    errors = [record for record in log_records(json_log) if record["level"] == "ERROR"]
    assert errors[0]["request_id"] == body["request_id"]
    assert "secret internal detail" in str(errors[0]["exc_info"])


async def test_not_found_is_json_with_request_id(client: AsyncClient) -> None:
    response = await client.get("/no-such-route")

    assert response.status_code == 404
    request_id = response.headers["x-request-id"]
    assert response.json() == {"detail": "Not Found", "request_id": request_id}


@pytest.mark.parametrize(
    ("inbound", "echoed"),
    [("abc-123_DEF.4", True), ("bad id\twith spaces", False), ("x" * 200, False)],
)
async def test_inbound_request_id_is_reused_only_when_well_formed(
    client: AsyncClient, inbound: str, echoed: bool
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": inbound})

    assert (response.headers["x-request-id"] == inbound) is echoed
    assert 1 <= len(response.headers["x-request-id"]) <= 128


async def test_request_id_is_in_every_log_record_of_the_request(
    client: AsyncClient, json_log: io.StringIO
) -> None:
    response = await client.get(
        "/api/v1/users/me",
        headers={"X-Request-ID": "trace-me-42", "Authorization": "Bearer not-a-token"},
    )

    assert response.status_code == 401
    # The refusal's line, written by whichever integration checks tokens.
    records = [r for r in log_records(json_log) if r["logger"].startswith("app.integrations.")]
    assert records
    assert all(record["request_id"] == "trace-me-42" for record in records)


@pytest.mark.parametrize("path", ["/health", "/no-such-route", "/explode"])
async def test_security_headers_are_on_every_response(
    failing_app: FastAPI, client: AsyncClient, path: str
) -> None:
    response = await client.get(path)

    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "strict-transport-security" not in response.headers


async def test_a_validation_error_names_the_field_never_the_value_sent(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    # What a client sends may be a secret pasted in the wrong field: never sent back.
    sent = {"title": {"token": "s3cret-value-never-echoed"}, "description": 42}
    response = await client.post("/api/v1/items", json=sent, headers=auth_headers)

    assert response.status_code == 422
    assert "s3cret-value-never-echoed" not in response.text
    errors = response.json()["detail"]
    assert {tuple(error["loc"]) for error in errors} >= {("body", "title")}
    assert all("input" not in error for error in errors)


async def test_security_headers_are_on_validation_errors(
    client: AsyncClient, auth_headers: dict[str, str]
) -> None:
    response = await client.post("/api/v1/items", json={}, headers=auth_headers)

    assert response.status_code == 422
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_hsts_is_sent_when_enabled(settings: AppSettings) -> None:
    with_hsts = settings.model_copy(update={"HSTS_ENABLED": True})
    async with started_app(with_hsts) as app, client_for(app) as client:
        response = await client.get("/health")

    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_cors_allows_only_configured_origins(settings: AppSettings) -> None:
    configured = settings.model_copy(update={"ALLOWED_ORIGINS": ["https://app.example.com"]})
    async with started_app(configured) as app, client_for(app) as client:
        allowed = await client.get("/health", headers={"Origin": "https://app.example.com"})
        refused = await client.get("/health", headers={"Origin": "https://evil.example"})
        preflight = await client.options(
            "/api/v1/items",
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "POST",
            },
        )

    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "Origin" in allowed.headers["vary"]
    assert "access-control-allow-origin" not in refused.headers
    assert preflight.status_code == 400


async def test_requests_without_origin_skip_cors_but_still_vary_on_it(client: AsyncClient) -> None:
    response = await client.get("/health")

    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"


async def test_database_outage_on_a_route_is_a_503_json(
    settings: AppSettings, auth_headers: dict[str, str]
) -> None:
    broken = settings.model_copy(update={"DATABASE_URL": UNREACHABLE_DATABASE_URL})
    async with started_app(broken) as app, client_for(app) as client:
        # A valid token: the user is then read from the database, which is gone.
        response = await client.get("/api/v1/users/me", headers=auth_headers)

    assert response.status_code == 503
    assert response.json()["detail"] == "Service temporarily unavailable"
    assert response.headers["retry-after"] == "5"
