"""The shape of a lifespan hook: what an integration returns to hold a resource while the app
runs (a client opened before the first request, closed after the last)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]
