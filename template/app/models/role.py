"""What a user may do: one role each, stored by its value."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    # Manages users: lists, reads, changes, deactivates and deletes them (app/api/routes/users.py).
    ADMIN = "admin"
