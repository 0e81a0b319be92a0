"""Your service's own settings. This file is yours: the template ships it once and never changes
or removes it, so the fields you add here never conflict with a template release.

`AppSettings` (app/bootstrap/settings.py) joins this class with the core's settings and every
integration's, so a field here is read from the environment like theirs and reached the same
way (`settings.PROJECTS_PER_USER` through `SettingsDep`). A rule of yours that depends on the
environment goes in a `model_validator` here; document each variable in `.env.example`, below
its line for your settings.
"""

from __future__ import annotations

from app.core.config import Settings


class ServiceSettings(Settings):
    """The settings your own code reads; the template's are in its classes."""
