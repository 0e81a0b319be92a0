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

HEADS = "heads"


def main(arguments: list[str]) -> None:
    if len(arguments) > 1:
        raise SystemExit("usage: python -m app.bootstrap.migrate [REVISION]")
    target = arguments[0] if arguments else HEADS
    try:
        command.upgrade(Config("alembic.ini"), target)
    except CommandError as error:
        # Alembic's own command line reports it the same way, without a traceback.
        raise SystemExit(f"FAILED: {error}") from None
    if target == HEADS:
        first_superuser.main()


if __name__ == "__main__":
    main(sys.argv[1:])
