"""A user as the API shows it, and the parts of one that requests name."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.models.role import Role
from app.models.user import AccountText
from app.schemas.text import SafeStr

# The pattern admits no control character, as SafeStr's would.
Username = Annotated[
    SafeStr,
    Field(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$"),
    AfterValidator(str.lower),
]
NormalizedEmail = Annotated[EmailStr, AfterValidator(str.lower)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    # A user provisioned from an OpenID Connect provider may have neither (AccountText).
    email: AccountText
    username: AccountText
    role: Role
    is_active: bool
    created_at: datetime
    # None until the address is verified (the `email` option), and again after it changes.
    email_verified_at: datetime | None = None


# Part of a username or an e-mail address, matched case-insensitively.
UserSearch = Annotated[SafeStr, Field(min_length=1, max_length=100)]
