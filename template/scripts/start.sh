#!/usr/bin/env sh
# Migrate, then serve. HOST, PORT, WEB_CONCURRENCY (worker processes) and
# FORWARDED_ALLOW_IPS (trusted proxies for X-Forwarded-*) come from the environment.
set -eu
cd "$(dirname "$0")/.."

python -m alembic upgrade head

exec python -m uvicorn app.main:app \
    --host "${HOST:-127.0.0.1}" \
    --port "${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-1}" \
    --proxy-headers \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
    --no-server-header
