#!/usr/bin/env sh
# Apply every pending migration on both branches, the template's and the service's (or the
# revision given as $1), to DATABASE_URL. Migrated to the heads, a service keeping its own
# accounts then gets its first admin when FIRST_SUPERUSER_EMAIL / FIRST_SUPERUSER_PASSWORD are
# set and no user has that address (nothing happens on the next runs). One Python process:
# app/bootstrap/migrate.py.
set -eu
cd "$(dirname "$0")/.."
exec python -m app.bootstrap.migrate "$@"
