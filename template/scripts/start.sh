#!/usr/bin/env sh
# Migrate, then serve. From the environment: HOST, PORT, WEB_CONCURRENCY (worker processes),
# GRACEFUL_TIMEOUT (seconds in-flight requests get after SIGTERM) and MIGRATE_ON_START (false
# where a separate job migrates, e.g. the Kubernetes Job in deploy/kubernetes/). The trusted
# proxies (FORWARDED_ALLOW_IPS) are a setting of the app, which reads X-Forwarded-* itself: the
# server's own handling is off.
set -eu
cd "$(dirname "$0")/.."

# Optional parts of the service drop their environment setup here.
for hook in scripts/start.d/*.sh; do
    [ -e "$hook" ] || continue
    # shellcheck source=/dev/null
    . "$hook"
done

if [ "${MIGRATE_ON_START:-true}" = "true" ]; then
    # Migrations, then the first admin if one is configured.
    sh scripts/migrate.sh
fi

if [ "${WEB_CONCURRENCY:-1}" -gt 1 ]; then
    # Several processes: gunicorn supervises uvicorn workers (restarts one that dies, stops them
    # gracefully). The same host, port, proxy and shutdown settings: app/bootstrap/gunicorn_conf.py.
    exec python -m gunicorn app.main:app --config python:app.bootstrap.gunicorn_conf
fi

# One process. `--workers 1` explicitly: uvicorn would otherwise read WEB_CONCURRENCY itself.
# `--http`: httptools with the request head and body bounded (HTTP_MAX_HEADER_BYTES and the like).
exec python -m uvicorn app.main:app \
    --http app.bootstrap.http_protocol:LimitedHttpToolsProtocol \
    --host "${HOST:-127.0.0.1}" \
    --port "${PORT:-8000}" \
    --workers 1 \
    --no-proxy-headers \
    --timeout-graceful-shutdown "${GRACEFUL_TIMEOUT:-30}" \
    --no-server-header
