"""The first admin: created from FIRST_SUPERUSER_EMAIL / FIRST_SUPERUSER_PASSWORD when no user
has that address. scripts/migrate.sh runs it after the migrations, so start.sh and the
Kubernetes migrate Job do too; running it again changes nothing.

    python -m app.bootstrap.first_superuser

An existing user with that address is left exactly as it is (its role and password included):
the variables bootstrap an empty service, they do not manage an account.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.bootstrap.lifespan import password_hasher
from app.core.config import Environment, Settings
from app.core.config_loading import load_settings_or_exit
from app.core.logging import setup_logging
from app.db.session import create_engine, create_session_factory, session_scope
from app.models.role import Role
from app.models.user import User
from app.schemas.password import PASSWORD_MIN_LENGTH, password_problems
from app.services.user_service import UserAlreadyExistsError, UserService

logger = logging.getLogger(__name__)


class FirstSuperuserError(RuntimeError):
    """The first admin cannot be created as configured; the message says what to change."""


def checked_password(
    secret: SecretStr,
    environment: Environment,
    *,
    min_length: int = PASSWORD_MIN_LENGTH,
    username: str | None = None,
    email: str | None = None,
) -> str:
    """The password to give the first admin. Production holds it to the password policy every
    user's is held to (at least `min_length` characters, not containing the username or the
    address's local part, ...); elsewhere a short one is allowed, so a development setup stays
    easy."""
    password = secret.get_secret_value()
    if not password:
        raise FirstSuperuserError("FIRST_SUPERUSER_PASSWORD is empty")
    if environment is Environment.PRODUCTION:
        problems = password_problems(
            password, min_length=min_length, username=username, email=email
        )
        if problems:
            raise FirstSuperuserError(f"FIRST_SUPERUSER_PASSWORD {'; '.join(problems)}")
    return password


async def ensure_first_superuser(settings: Settings) -> bool:
    """Create the configured first admin unless a user has its address; True if created."""
    if settings.FIRST_SUPERUSER_EMAIL is None or settings.FIRST_SUPERUSER_PASSWORD is None:
        return False
    email = settings.FIRST_SUPERUSER_EMAIL.lower()
    username = settings.FIRST_SUPERUSER_USERNAME.lower()
    password = checked_password(
        settings.FIRST_SUPERUSER_PASSWORD,
        settings.ENVIRONMENT,
        min_length=settings.PASSWORD_MIN_LENGTH,
        username=username,
        email=email,
    )
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    try:
        try:
            async with session_scope(factory) as session:
                if await _has_user_with_email(session, email):
                    return False
                users = UserService(session)
                await users.ensure_available(email=email, username=username)
                hashed = await password_hasher(settings).hash(password)
                await users.create(
                    email=email, username=username, hashed_password=hashed, role=Role.ADMIN
                )
        except UserAlreadyExistsError as exc:
            # Another replica starting at the same moment may have created it first.
            async with session_scope(factory) as session:
                if await _has_user_with_email(session, email):
                    return False
            if exc.field == "email":  # another user's address looks like this one
                raise FirstSuperuserError(
                    f"{exc}: set FIRST_SUPERUSER_EMAIL to another address"
                ) from exc
            raise FirstSuperuserError(
                f"the username {username!r} is taken by another user: set "
                "FIRST_SUPERUSER_USERNAME to a free one"
            ) from exc
    finally:
        await engine.dispose()
    logger.info("first admin created", extra={"username": username})
    return True


async def _has_user_with_email(session: AsyncSession, email: str) -> bool:
    return await session.scalar(select(User.id).where(User.email == email)) is not None


def main() -> None:
    settings = load_settings_or_exit(Settings)
    setup_logging("INFO", settings.LOG_FORMAT, stream=sys.stderr)
    try:
        asyncio.run(ensure_first_superuser(settings))
    except FirstSuperuserError as error:
        raise SystemExit(f"first admin not created: {error}") from None


if __name__ == "__main__":
    main()
