#!/usr/bin/env sh
# Migrate the database to every head, then write the service's next revision on its own branch
# (alembic/versions/). Usage: uv run scripts/new-migration.sh [--empty] "add orders"
set -eu
cd "$(dirname "$0")/.."
exec python scripts/new_migration.py "$@"
