from __future__ import annotations

from collections.abc import AsyncIterator

from httpx import AsyncClient
from starlette.types import Message

from app.bootstrap.settings import AppSettings
from app.middleware.body_limit import BodySizeLimitMiddleware
from tests.support import client_for, started_app

LIMIT = 2048
# A route with a JSON body. Its bearer check comes after the body is read: the limit refuses
# these bodies before anything else looks at the request.
ITEMS = "/api/v1/items"


def limited(settings: AppSettings) -> AppSettings:
    return settings.model_copy(update={"MAX_REQUEST_BODY_BYTES": LIMIT})


async def test_a_declared_oversized_body_is_refused_with_413(settings: AppSettings) -> None:
    async with started_app(limited(settings)) as app, client_for(app) as client:
        response = await client.post(
            ITEMS,
            content=b"{" + b" " * LIMIT + b"}",
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 413
    assert response.json()["detail"] == f"Request body larger than {LIMIT} bytes"
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_streamed_oversized_body_is_cut_off_with_413(settings: AppSettings) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 512

    async with started_app(limited(settings)) as app, client_for(app) as client:
        response = await client.post(
            ITEMS, content=chunks(), headers={"Content-Type": "application/json"}
        )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_bodies_within_the_limit_are_served(
    settings: AppSettings, auth_headers: dict[str, str]
) -> None:
    item = {"title": "within the limit", "description": "d" * (LIMIT // 2)}
    async with started_app(limited(settings)) as app, client_for(app) as client:
        response = await client.post(ITEMS, json=item, headers=auth_headers)

    assert response.status_code == 201


async def test_an_invalid_content_length_is_a_400() -> None:
    sent: list[Message] = []

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-length", b"-5")],
    }
    await BodySizeLimitMiddleware(app, max_bytes=LIMIT)(scope, receive, send)

    assert sent[0]["status"] == 400


async def test_every_operation_documents_the_errors_it_may_return(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "413", "429", "500", "503"} <= documented, (method, path)
