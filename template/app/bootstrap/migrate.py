"""What scripts/migrate.sh runs, in one process: every pending migration on both branches (or
up to the revision given), then, migrated to the heads, the first admin
(app/bootstrap/first_superuser.py).

    python -m app.bootstrap.migrate [REVISION]

One interpreter instead of two: the application's imports are paid once per start.
"""

from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config
from alembic.util import CommandError

from app.bootstrap import first_superuser
from app.core.config import Settings
from app.core.config_loading import load_settings_or_exit

HEADS = "heads"


def _service_settings() -> type[Settings]:
    # Imported only to name what is refused: it loads every integration's settings module.
    from app.bootstrap.settings import AppSettings

    return AppSettings


def main(arguments: list[str]) -> None:
    if len(arguments) > 1:
        raise SystemExit("usage: python -m app.bootstrap.migrate [REVISION]")
    target = arguments[0] if arguments else HEADS
    # Migrations read the core's settings; refused, they name everything the service's start
    # would refuse too, so a first production start lists every variable at fault at once.
    load_settings_or_exit(Settings, whole=_service_settings)
    try:
        command.upgrade(Config("alembic.ini"), target)
    except CommandError as error:
        # Alembic's own command line reports it the same way, without a traceback.
        raise SystemExit(f"FAILED: {error}") from None
    if target == HEADS:
        first_superuser.main()


if __name__ == "__main__":
    main(sys.argv[1:])
