"""Your service's own wiring: middleware, exception handlers and lifespan hooks. This file is
yours: the template ships it once and never changes or removes it, so what you add here never
conflicts with a template release.

`create_app` calls `install` once, after the integrations' (rate limits, metrics and the
like): middleware added here wraps theirs and sits inside CORS, trusted hosts, the security
headers, the access log and the request id, so it sees the request id and its responses get
the security headers. A lifespan hook holds a resource while the app runs: opened before the
first request, closed after the last (see app/core/hooks.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from app.bootstrap.settings import AppSettings
from app.core.hooks import LifespanHook


def install(app: FastAPI, settings: AppSettings) -> LifespanHook | None:
    """Add your middleware (`app.add_middleware(...)`) and handlers; return your lifespan hook,
    if any."""
    return None
