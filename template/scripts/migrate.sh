#!/usr/bin/env sh
# Apply every pending migration on both branches, the template's and the service's (or the
# revision given as $1), to DATABASE_URL.
set -eu
cd "$(dirname "$0")/.."
exec python -m alembic upgrade "${1:-heads}"
