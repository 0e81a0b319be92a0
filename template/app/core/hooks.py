"""The hooks an integration has into the app: a lifespan hook (what it returns to hold a resource
while the app runs: a client opened before the first request, closed after the last) and request
observers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from starlette.types import Scope

LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]


# Told of every HTTP request once its answer is complete: (the request's scope, the status the
# client got, seconds the whole stack took). The access line's middleware calls it, with the same
# clock as the line: an observer costs no middleware layer of its own (e.g. request metrics).
RequestObserver = Callable[[Scope, int, float], None]


def add_request_observer(app: FastAPI, observer: RequestObserver) -> None:
    """Have `observer` told of every request `app` answers. Called while the app is built, before
    create_app adds the access line's middleware (an integration's install() is)."""
    observers: list[RequestObserver] = getattr(app.state, "request_observers", [])
    app.state.request_observers = [*observers, observer]


def request_observers(app: FastAPI) -> tuple[RequestObserver, ...]:
    return tuple(getattr(app.state, "request_observers", ()))
