"""The rules of each environment (dotenv files, defaults, production refusals), and
`settings_for`, which lays them over a settings class: the ENVIRONMENT variable picks them.

Production refuses to start on missing or weak values. Each environment has two sets of rules:
the process rules, for every process (the worker's settings are built on them alone), and the
rules of the API's core settings on top of them.
"""

from __future__ import annotations

import types
from typing import ClassVar, TypeVar, cast

from pydantic import field_validator
from sqlalchemy.engine import make_url

from app.core.config import CommaSeparated, Environment, LogLevel, ProcessSettings, Settings
from app.core.edge import ANY, documentation_networks, origin_is_secure
from app.core.logging import LogFormat
from app.core.secret_key import is_placeholder


class DevelopmentProcessRules(ProcessSettings):
    ENV_FILES: ClassVar[tuple[str, ...]] = (".env.development", ".env")
    ENVIRONMENT: ClassVar[Environment] = Environment.DEVELOPMENT
    LOG_LEVEL: LogLevel = "DEBUG"
    LOG_FORMAT: LogFormat = "console"


class DevelopmentRules(DevelopmentProcessRules, Settings):
    DATABASE_URL: str = "sqlite+aiosqlite:///./dev.db"


class ProductionProcessRules(ProcessSettings):
    ENV_FILES: ClassVar[tuple[str, ...]] = (".env.production", ".env")
    ENVIRONMENT: ClassVar[Environment] = Environment.PRODUCTION


class ProductionRules(ProductionProcessRules, Settings):
    DATABASE_URL: str
    ALLOWED_ORIGINS: CommaSeparated
    ALLOWED_HOSTS: CommaSeparated
    DOCS_ENABLED: bool = False
    HSTS_ENABLED: bool = True

    @field_validator("DATABASE_URL")
    @classmethod
    def refuse_placeholder_password(cls, value: str) -> str:
        # The examples ship one (deploy/kubernetes/secret.example.yaml): a URL copied from them
        # is well formed, and only a database that happens to accept it would say otherwise.
        if is_placeholder(make_url(value).password or ""):
            raise ValueError(
                "holds a placeholder password (as the examples ship it): use the database "
                "user's real password"
            )
        return value

    @field_validator("ALLOWED_ORIGINS")
    @classmethod
    def refuse_open_cors(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must list at least one origin")
        if ANY in value:
            raise ValueError("must list origins explicitly; '*' is not allowed in production")
        if "null" in value:
            raise ValueError("must not list 'null' (any sandboxed page or file sends it)")
        insecure = [origin for origin in value if not origin_is_secure(origin)]
        if insecure:
            raise ValueError(
                f"must use https:// except for localhost in production: {', '.join(insecure)}"
            )
        return value

    @field_validator("ALLOWED_HOSTS")
    @classmethod
    def refuse_any_host(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must list at least one host name, e.g. api.example.com")
        if ANY in value:
            raise ValueError("must list host names explicitly; '*' is not allowed in production")
        return value

    @field_validator("FORWARDED_ALLOW_IPS")
    @classmethod
    def refuse_trusting_everyone(cls, value: list[str]) -> list[str]:
        if ANY in value:
            raise ValueError(
                "must name the proxies in front of the service; '*' would believe any client's "
                "X-Forwarded-For (see FORWARDED_ALLOW_IPS in .env.example)"
            )
        # No proxy has such an address: it is a shipped placeholder (deploy/kubernetes/).
        placeholders = documentation_networks(value)
        if placeholders:
            raise ValueError(
                f"must name the proxies in front of the service (e.g. the ingress controller's "
                f"pod addresses), not a documentation network: {', '.join(placeholders)}"
            )
        return value


class TestingProcessRules(ProcessSettings):
    """Hermetic: reads no dotenv file."""

    __test__ = False  # not a pytest test class, despite the name

    ENVIRONMENT: ClassVar[Environment] = Environment.TEST
    LOG_LEVEL: LogLevel = "WARNING"
    # Production's format: every record the suite writes goes through the formatter production
    # runs (the tests that read log lines choose their own format).
    LOG_FORMAT: LogFormat = "json"


class TestingRules(TestingProcessRules, Settings):
    """Hermetic: reads no dotenv file. An integration's test values (a key, cheap password
    hashing) come from the suite's environment (tests/features.py), not from here: the core
    names no integration's settings."""

    DATABASE_URL: str = "sqlite+aiosqlite:///./test.db"


# The rules of settings built on the core's `Settings` (the API's, the migrations').
_RULES: dict[Environment, type[Settings]] = {
    Environment.DEVELOPMENT: DevelopmentRules,
    Environment.PRODUCTION: ProductionRules,
    Environment.TEST: TestingRules,
}
# The rules of settings built on `ProcessSettings` alone (the worker's): the environment's files
# and defaults, none of the API's requirements.
_PROCESS_RULES: dict[Environment, type[ProcessSettings]] = {
    Environment.DEVELOPMENT: DevelopmentProcessRules,
    Environment.PRODUCTION: ProductionProcessRules,
    Environment.TEST: TestingProcessRules,
}

AnySettings = TypeVar("AnySettings", bound=ProcessSettings)


_JOINED: dict[tuple[Environment, type[ProcessSettings]], type[ProcessSettings]] = {}


def settings_for(environment: Environment, base: type[AnySettings]) -> type[AnySettings]:
    """`base` under an environment's rules: the rules come first, so their defaults and
    refusals win over the core's, and `base` adds its own fields (an integration's, or all).
    A `base` without the core's `Settings` (the worker's) gets the process rules only.
    Built once per pair: the same class every time."""
    joined = _JOINED.get((environment, base))
    if joined is None:
        rules = (_RULES if issubclass(base, Settings) else _PROCESS_RULES)[environment]
        namespace = {"__module__": base.__module__, "__doc__": rules.__doc__ or base.__doc__}
        joined = types.new_class(
            f"{environment.value.capitalize()}{base.__name__}",
            (rules, base),
            exec_body=lambda body: body.update(namespace),
        )
        _JOINED[environment, base] = joined
    return cast(type[AnySettings], joined)
