"""A login runs through the modules the service names for it, and no others: a change that
lengthens the path (a new helper module, a service calling another) fails here and has to say
so by editing LOGIN_PATH, which the template's docs list too."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

import app as app_package
from tests.support import PASSWORD, sign_up

APP_ROOT = Path(app_package.__file__).resolve().parent

# The login's own modules: route, schemas, service, database read, models, primitives.
LOGIN_PATH = frozenset(
    {
        "app/api/routes/auth.py",
        "app/schemas/token.py",
        "app/services/auth_service.py",
        "app/db/reads.py",
        "app/models/user.py",
        "app/models/refresh_token.py",
        "app/core/password_hashing.py",
        "app/core/tokens.py",
    }
)
# What every request passes through, a login's or not: settings, middleware (the service's own
# included), the options' edge parts, the routes' matching and the wiring that hands a route
# its service.
EVERY_REQUEST = frozenset(
    {
        "app/api/deps.py",
        "app/api/responses.py",
        "app/api/serving.py",
        "app/bootstrap/service_wiring.py",
        "app/core/config.py",
        "app/core/logging.py",
        "app/core/request_context.py",
        "app/db/base.py",
        "app/db/session.py",
        "app/integrations/metrics.py",
        "app/integrations/rate_limit.py",
        "app/integrations/rate_limit_storage.py",
        "app/integrations/rate_limit_window.py",
        "app/integrations/sentry.py",
        "app/integrations/tracing.py",
    }
)
EVERY_REQUEST_FOLDERS = ("app/middleware/",)
# An integration's settings class may answer a core setting (`logins_require_verified_email`).
SETTINGS_MODULE_NAME = "settings.py"
# Python code that must run in a login, so an empty trace cannot pass.
SURELY_RUN = frozenset(
    {
        "app/api/routes/auth.py",
        "app/services/auth_service.py",
        "app/db/reads.py",
        "app/core/password_hashing.py",
        "app/core/tokens.py",
    }
)


@contextmanager
def modules_run() -> Iterator[set[str]]:
    """The app modules whose functions are called while the block runs, on this thread and on
    threads started meanwhile."""
    seen: set[str] = set()

    def record(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            path = Path(frame.f_code.co_filename)
            if path.is_relative_to(APP_ROOT):
                seen.add(path.relative_to(APP_ROOT.parent).as_posix())

    previous = sys.getprofile()
    sys.setprofile(record)
    threading.setprofile(record)
    try:
        yield seen
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)


def _shared_by_every_request(module: str) -> bool:
    return (
        module in EVERY_REQUEST
        or module.startswith(EVERY_REQUEST_FOLDERS)
        or module.endswith("/" + SETTINGS_MODULE_NAME)
    )


def test_the_login_path_is_eight_modules_that_exist() -> None:
    assert len(LOGIN_PATH) <= 8
    missing = sorted(m for m in LOGIN_PATH if not (APP_ROOT.parent / m).is_file())
    assert not missing


async def test_a_login_runs_through_its_own_modules_only(
    client: AsyncClient, migrated_engine: AsyncEngine
) -> None:
    await sign_up(client, migrated_engine, "traced")

    with modules_run() as seen:
        response = await client.post(
            "/api/v1/auth/login", json={"username": "traced", "password": PASSWORD}
        )

    assert response.status_code == 200, response.text
    assert not SURELY_RUN - seen, sorted(SURELY_RUN - seen)
    off_the_path = sorted(m for m in seen - LOGIN_PATH if not _shared_by_every_request(m))
    assert not off_the_path, f"a login now also runs {off_the_path}: add them to LOGIN_PATH"
