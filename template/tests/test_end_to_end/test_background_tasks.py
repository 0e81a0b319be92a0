"""The seed's BackgroundTasks example: a welcome notification after registration."""

from __future__ import annotations

import io
import json
import logging

from httpx import AsyncClient

from app.core.logging import build_handler
from app.core.masking import mask_address
from tests.support import user_payload


async def test_registration_sends_a_welcome_after_the_response(client: AsyncClient) -> None:
    stream = io.StringIO()
    handler = build_handler(stream)
    logger = logging.getLogger("app.services.notification_service")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = await client.post("/api/v1/auth/register", json=user_payload())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)

    assert response.status_code == 201
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [record["subject"] for record in records] == ["Welcome"]
    assert records[0]["recipient"] == "t***@example.com"
    assert "test@example.com" not in stream.getvalue()


def test_addresses_are_masked() -> None:
    assert mask_address("alice@example.com") == "a***@example.com"
    assert mask_address("not-an-address") == "***"
