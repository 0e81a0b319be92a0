"""Loading the settings of the selected environment, or failing with one line that names each
variable at fault.

Values come from the process environment first, then from the environment's dotenv files.
"""

from __future__ import annotations

import os

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.core.config import Environment
from app.core.environments import AnySettings, settings_for


class ConfigurationError(RuntimeError):
    """The settings cannot be loaded; the message names every offending variable on one line."""


def load_settings(environment: str, base: type[AnySettings]) -> AnySettings:
    """Build `base` for one environment, or raise ConfigurationError naming each problem."""
    try:
        selected = Environment(environment.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in Environment)
        raise ConfigurationError(f"ENVIRONMENT must be one of {allowed}") from None
    try:
        return settings_for(selected, base)()
    except ValidationError as exc:
        problems = "; ".join(
            _problem(error) for error in exc.errors(include_url=False, include_input=False)
        )
        raise ConfigurationError(f"invalid {selected.value} configuration: {problems}") from None


def selected_environment() -> str:
    return os.environ.get("ENVIRONMENT", Environment.DEVELOPMENT.value)


def load_settings_or_exit(base: type[AnySettings]) -> AnySettings:
    """The selected environment's settings, or an exit with one line naming each problem: for
    commands (Alembic, gunicorn) whose traceback would bury the variable at fault."""
    try:
        return load_settings(selected_environment(), base)
    except ConfigurationError as error:
        raise SystemExit(f"configuration error: {error}") from None


def _problem(error: ErrorDetails) -> str:
    """One problem as `<VARIABLE> <what is wrong>`; a check across fields names them itself."""
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:
        return message
    where = ".".join(str(part) for part in error["loc"])
    if message == "Field required":
        return f"{where} is required"
    return f"{where} {message[:1].lower()}{message[1:]}"
