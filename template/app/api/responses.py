"""The error responses routes declare in the OpenAPI document, so each is written once."""

from __future__ import annotations

from typing import Any

from fastapi import status

from app.schemas.error import ErrorResponse

Responses = dict[int | str, dict[str, Any]]


def error(status_code: int, description: str) -> Responses:
    return {status_code: {"model": ErrorResponse, "description": description}}


UNAUTHORIZED = error(
    status.HTTP_401_UNAUTHORIZED, "Missing, invalid or expired credentials (WWW-Authenticate)"
)
ADMIN_ONLY = {**UNAUTHORIZED, **error(status.HTTP_403_FORBIDDEN, "The caller is no admin")}
