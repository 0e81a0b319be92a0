"""Every model is imported here so Alembic's autogenerate sees the whole schema."""

from app.models.user import User

__all__ = ["User"]
