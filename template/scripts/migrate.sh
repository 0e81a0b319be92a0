#!/usr/bin/env sh
# Apply every pending migration (or the revision given as $1) to DATABASE_URL.
set -eu
cd "$(dirname "$0")/.."
exec python -m alembic upgrade "${1:-head}"
