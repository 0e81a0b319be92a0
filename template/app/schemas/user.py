from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from app.models.role import Role
from app.models.user import AccountText
from app.schemas.password import NewPassword
from app.schemas.text import SafeStr
from app.schemas.token import LoginPassword

# The pattern admits no control character, as SafeStr's would.
Username = Annotated[
    SafeStr,
    Field(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$"),
    AfterValidator(str.lower),
]
NormalizedEmail = Annotated[EmailStr, AfterValidator(str.lower)]


class UserCreate(BaseModel):
    email: NormalizedEmail
    username: Username
    password: NewPassword


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


class UserSelfUpdate(BaseModel):
    """What users may change about their own account; fields left out stay as they are.
    Any other field (a role, say) is refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    email: NormalizedEmail | None = None
    username: Username | None = None
    # Required with a new address: a stolen access token alone must not move the account (the
    # address is where a password reset goes). Only the login bounds: it may predate the policy.
    current_password: LoginPassword | None = None

    @model_validator(mode="after")
    def password_proves_an_address_change(self) -> UserSelfUpdate:
        if self.email is not None and self.current_password is None:
            raise ValueError("current_password is required to change the e-mail address")
        return self

    def changes(self) -> dict[str, str]:
        """The account fields to change (the password only proves the caller)."""
        return self.model_dump(exclude_none=True, exclude={"current_password"})


class AccountDeletion(BaseModel):
    """Deleting your account takes your password: a stolen access token alone cannot."""

    model_config = ConfigDict(extra="forbid")

    current_password: LoginPassword


class PasswordChange(BaseModel):
    # Only the login bounds: the current password may predate the policy.
    current_password: LoginPassword
    new_password: NewPassword


class UserAdminUpdate(BaseModel):
    """What an admin may change about a user; fields left out stay as they are."""

    email: NormalizedEmail | None = None
    username: Username | None = None
    role: Role | None = None
    # False: the user's tokens stop working on their next request, and login is refused.
    is_active: bool | None = None


# Part of a username or an e-mail address, matched case-insensitively.
UserSearch = Annotated[SafeStr, Field(min_length=1, max_length=100)]
