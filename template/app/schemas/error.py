from __future__ import annotations

from pydantic import BaseModel


class ErrorResponse(BaseModel):
    """Body of every error the service returns."""

    detail: str
    request_id: str | None = None
