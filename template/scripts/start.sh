#!/usr/bin/env sh
# Migrate, then serve. HOST, PORT, WEB_CONCURRENCY (worker processes) and
# FORWARDED_ALLOW_IPS (trusted proxies for X-Forwarded-*) come from the environment.
set -eu
cd "$(dirname "$0")/.."

# Optional parts of the service drop their environment setup here.
for hook in scripts/start.d/*.sh; do
    [ -e "$hook" ] || continue
    # shellcheck source=/dev/null
    . "$hook"
done

python -m alembic upgrade head

exec python -m uvicorn app.main:app \
    --host "${HOST:-127.0.0.1}" \
    --port "${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-1}" \
    --proxy-headers \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
    --no-server-header
