from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.user import PASSWORD_MAX_LENGTH


class LoginRequest(BaseModel):
    """The seed's JSON login body; `username` also accepts the e-mail address."""

    username: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_in: int = Field(description="Seconds until the access token expires")
