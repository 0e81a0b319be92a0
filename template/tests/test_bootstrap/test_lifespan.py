"""What the lifespan does around the app's life beyond creating resources."""

from __future__ import annotations

import gc

from app.bootstrap.settings import AppSettings
from tests.support import started_app


async def test_startup_objects_are_frozen_while_the_app_runs(settings: AppSettings) -> None:
    assert gc.get_freeze_count() == 0

    async with started_app(settings):
        # Everything startup left alive (the app, its pools, the imported modules).
        assert gc.get_freeze_count() > 10_000

    # Unfrozen at shutdown: what the app left behind can be collected again.
    assert gc.get_freeze_count() == 0
