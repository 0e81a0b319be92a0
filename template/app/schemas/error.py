from __future__ import annotations

from pydantic import BaseModel


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Body of every error the service returns."""

    detail: str
    request_id: str | None = None


class ValidationErrorResponse(BaseModel):
    detail: list[FieldError]
    request_id: str | None = None
