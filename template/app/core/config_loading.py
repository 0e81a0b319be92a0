"""Loading the settings of the selected environment, or failing with one error that names every
variable at fault: a production start refused for several reasons lists them all at once.

Values come from the process environment first, then from the environment's dotenv files.

Pydantic stops short of that on its own: the checks across fields (`model_validator`s, such as
`require_in_production`) run only once every field is valid, and the first of them to refuse
stops the others. So a refused load takes a second look (`_checks_across_fields`): the invalid
fields are set aside, and every check runs, each on its own.
"""

from __future__ import annotations

import inspect
import os
import re
import types
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import ErrorDetails

from app.core.config import Environment, ProcessSettings, Settings
from app.core.environments import AnySettings, settings_for


class ConfigurationError(RuntimeError):
    """The settings cannot be loaded. The message names every offending variable: on one line
    when there is one, otherwise one line each under a line saying how many."""


def load_settings(environment: str, base: type[AnySettings]) -> AnySettings:
    """Build `base` for one environment, or raise ConfigurationError naming each problem."""
    try:
        selected = Environment(environment.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in Environment)
        raise ConfigurationError(f"ENVIRONMENT must be one of {allowed}") from None
    settings_class = settings_for(selected, base)
    try:
        return settings_class()
    except ValidationError as refused:
        problems = _every_problem(settings_class, refused)
    raise ConfigurationError(_refusal(f"invalid {selected.value} configuration", problems))


def selected_environment() -> str:
    return os.environ.get("ENVIRONMENT", Environment.DEVELOPMENT.value)


# The service's complete settings class, once its composition root (app/bootstrap/settings.py)
# is imported: a module that loads only its own part of them at import (the worker's broker) and
# is refused names everything the start would refuse.
_declared_whole: type[Settings] | None = None


def declare_whole_settings(settings_class: type[Settings]) -> None:
    global _declared_whole
    _declared_whole = settings_class


def load_settings_or_exit(
    base: type[AnySettings], whole: Callable[[], type[Settings]] | None = None
) -> AnySettings:
    """The selected environment's settings, or an exit naming each problem: for commands and
    modules (Alembic, gunicorn, the broker) whose traceback would bury the variables at fault.

    When `base` is only part of the service's settings (migrations read the core's), a refusal
    names everything the start would refuse: `whole` gives the complete class, imported only
    then; without it, the class app/bootstrap/settings.py declared, if it was imported."""
    environment = selected_environment()
    try:
        return load_settings(environment, base)
    except ConfigurationError as error:
        refusal = error
    complete = whole() if whole is not None else _declared_whole
    if complete is not None:
        try:
            load_settings(environment, complete)
        except ConfigurationError as everything:
            refusal = everything
    raise SystemExit(f"configuration error: {refusal}") from None


def _refusal(heading: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{heading}: {problems[0]}"
    return "\n  - ".join([f"{heading}, {len(problems)} problems:", *problems])


def _every_problem(settings_class: type[ProcessSettings], refused: ValidationError) -> list[str]:
    """The fields' problems, then those of every check across fields, each named once."""
    errors = refused.errors(include_url=False, include_input=False)
    invalid = {str(error["loc"][0]) for error in errors if error["loc"]}
    problems = [_problem(error) for error in errors if error["loc"]]
    problems += _checks_across_fields(settings_class, invalid)
    # A refusal of the first load the second look did not reach (it reports what it can).
    problems += [_problem(error) for error in errors if not error["loc"]]
    return list(dict.fromkeys(problems))


def _problem(error: ErrorDetails) -> str:
    """One problem as `<VARIABLE> <what is wrong>`; a check across fields names them itself."""
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if not error["loc"]:
        return message
    where = ".".join(str(part) for part in error["loc"])
    if message == "Field required":
        return f"{where} is required"
    return f"{where} {message[:1].lower()}{message[1:]}"


# No variable has this name: a field read from it is left to its default.
_NEVER_SET = "\0set-aside"


def _checks_across_fields(settings_class: type[ProcessSettings], invalid: set[str]) -> list[str]:
    """What every check across fields refuses, each run on its own, with the `invalid` fields
    set aside: left to their default (None when they have none) and never validated.

    A check's refusal that names a set-aside variable is dropped (that variable's own problem is
    named already), and so is a check that cannot run on set-aside values: both run again once
    the variable is fixed."""
    refusals: list[str] = []
    namespace: dict[str, Any] = {"__module__": settings_class.__module__, "__annotations__": {}}
    for name in invalid & set(settings_class.model_fields):
        field = settings_class.model_fields[name]
        namespace["__annotations__"][name] = Any
        namespace[name] = Field(
            default=None if field.is_required() else field.get_default(call_default_factory=True),
            validation_alias=_NEVER_SET,
            validate_default=False,
        )
    # A subclass's validator replaces the one of the same name: each check, made to collect.
    for name, check in settings_class.__pydantic_decorators__.model_validators.items():
        if check.info.mode == "after":
            namespace[name] = model_validator(mode="after")(
                _collecting(check.func, refusals, tolerate_failures=bool(invalid))
            )
    second_look = types.new_class(
        f"SecondLook{settings_class.__name__}",
        (settings_class,),
        exec_body=lambda body: body.update(namespace),
    )
    try:
        second_look()
    except ValidationError as refused:  # a check of another kind (before or wrap) refused
        refusals += [
            _problem(error) for error in refused.errors(include_url=False, include_input=False)
        ]
    return [refusal for refusal in refusals if not _names_any(refusal, invalid)]


def _collecting(
    check: Callable[..., Any], refusals: list[str], *, tolerate_failures: bool
) -> Callable[[ProcessSettings, ValidationInfo], ProcessSettings]:
    """`check` as a model validator that records its refusal and lets the next check run."""
    takes_info = len(inspect.signature(check).parameters) > 1

    def run_check(settings: ProcessSettings, info: ValidationInfo) -> ProcessSettings:
        try:
            if takes_info:
                check(settings, info)
            else:
                check(settings)
        except (ValueError, AssertionError) as refusal:  # what pydantic reports as a refusal
            refusals.append(str(refusal))
        except Exception:
            # Only a set-aside value (None where the check expects a value) excuses a failure.
            if not tolerate_failures:
                raise
        return settings

    return run_check


def _names_any(text: str, variables: Iterable[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in variables)
