"""The service's own extension points, files the template ships once and never changes: its
settings join every other class in `AppSettings`, and its wiring is installed by `create_app`,
its middleware just inside the edge and its lifespan hook last."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from app.bootstrap import service_wiring
from app.bootstrap.settings import AppSettings, TestingSettings
from app.core.config import Settings
from app.core.hooks import LifespanHook
from app.core.service_settings import ServiceSettings
from app.main import create_app
from app.middleware.body_limit import BodySizeLimitMiddleware
from app.middleware.cors import CORSMiddleware
from tests.support import UNREACHABLE_DATABASE_URL


class TeamMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@asynccontextmanager
async def team_resource(app: FastAPI) -> AsyncIterator[None]:
    yield


def test_the_services_settings_come_first_so_its_fields_are_read_like_the_templates() -> None:
    order = AppSettings.__mro__

    assert order[1] is ServiceSettings
    assert order.index(ServiceSettings) < order.index(Settings)


def test_create_app_installs_the_services_wiring_inside_the_edge_with_its_hook_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def install(app: FastAPI, settings: AppSettings) -> LifespanHook | None:
        app.add_middleware(TeamMiddleware)
        return team_resource

    monkeypatch.setattr(service_wiring, "install", install)

    app = create_app(TestingSettings(DATABASE_URL=UNREACHABLE_DATABASE_URL))

    outermost_first: list[object] = [middleware.cls for middleware in app.user_middleware]
    # Just inside CORS: outside every integration's middleware and the body limit.
    assert outermost_first.index(TeamMiddleware) == outermost_first.index(CORSMiddleware) + 1
    assert outermost_first.index(TeamMiddleware) < outermost_first.index(BodySizeLimitMiddleware)
    assert app.state.lifespan_hooks[-1] is team_resource
