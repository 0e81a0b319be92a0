#!/usr/bin/env sh
# Apply every pending migration on both branches, the template's and the service's (or the
# revision given as $1), to DATABASE_URL. Migrated to the heads, the database then gets its
# first admin when FIRST_SUPERUSER_EMAIL / FIRST_SUPERUSER_PASSWORD are set and no user has
# that address (app/bootstrap/first_superuser.py; nothing happens on the next runs).
set -eu
cd "$(dirname "$0")/.."
target="${1:-heads}"
python -m alembic upgrade "$target"
if [ "$target" = "heads" ]; then
    python -m app.bootstrap.first_superuser
fi
