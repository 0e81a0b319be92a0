from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.schemas.password import PASSWORD_MAX_LENGTH
from app.schemas.text import SafeStr

# A username or an e-mail address (RFC 5321 bounds a path at 320 characters).
LoginName = Annotated[SafeStr, Field(min_length=1, max_length=320)]
# Only the bounds of a new password: one stored under an earlier policy must still log in.
LoginPassword = Annotated[SafeStr, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
_FormText = Annotated[SafeStr, Field(max_length=1_000)]


class LoginRequest(BaseModel):
    """The seed's JSON login body; `username` also accepts the e-mail address."""

    username: LoginName
    password: LoginPassword


class OAuth2PasswordForm(BaseModel):
    """The OAuth2 password grant's form (RFC 6749, section 4.3.2), as FastAPI's
    OAuth2PasswordRequestForm reads it, with every field bounded and free of control
    characters. The docs' Authorize button posts it; client credentials are accepted and
    ignored, as there is no client registry."""

    grant_type: Annotated[SafeStr, Field(pattern=r"^password$")] | None = None
    username: LoginName
    password: LoginPassword
    scope: _FormText = ""
    client_id: _FormText | None = None
    client_secret: _FormText | None = None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str = Field(
        description="Single-use: POST it to /auth/refresh for the next pair before it expires"
    )
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires")


# Ours are 43 characters; any other text is just an unknown token (a 401), but bounded.
RefreshTokenText = Annotated[SafeStr, Field(min_length=1, max_length=128)]


class RefreshRequest(BaseModel):
    refresh_token: RefreshTokenText
