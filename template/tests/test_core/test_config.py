from __future__ import annotations

from pathlib import Path
from typing import Self

import pytest
from pydantic import SecretStr, model_validator

from app.bootstrap.settings import AppSettings, DevelopmentSettings, ProductionSettings
from app.core.config import Environment, Settings, require_in_production
from app.core.config_loading import ConfigurationError, load_settings, load_settings_or_exit
from app.core.environments import settings_for
from tests.features import PRODUCTION_REQUIRED, PRODUCTION_TEST_ENVIRONMENT, TEST_ENVIRONMENT
from tests.support import PROJECT_ROOT


def test_valid_production_settings_load(production_environment: pytest.MonkeyPatch) -> None:
    settings = load_settings("production", AppSettings)

    assert isinstance(settings, ProductionSettings)
    assert settings.DATABASE_URL == "postgresql+asyncpg://app:pw@db:5432/app"
    assert settings.ALLOWED_ORIGINS == ["https://app.example.com", "https://admin.example.com"]
    assert settings.DOCS_ENABLED is False
    assert settings.HSTS_ENABLED is True


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS is required"),
        ("DATABASE_URL", None, "DATABASE_URL is required"),
        ("DATABASE_URL", "postgresql://app:change-me@postgres:5432/app", "placeholder password"),
        ("ALLOWED_ORIGINS", None, "ALLOWED_ORIGINS is required"),
        ("ALLOWED_ORIGINS", " , ", "ALLOWED_ORIGINS must list at least one origin"),
        ("ALLOWED_ORIGINS", "*", "'*' is not allowed"),
    ],
)
def test_production_refuses_to_start_naming_the_variable(
    production_environment: pytest.MonkeyPatch, variable: str, value: str | None, reason: str
) -> None:
    if value is None:
        production_environment.delenv(variable)
    else:
        production_environment.setenv(variable, value)

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", AppSettings)

    message = str(raised.value)
    assert reason in message
    assert variable in message
    assert "\n" not in message
    if variable == "DATABASE_URL" and value:
        assert value not in message


def test_shipped_production_dotenv_is_refused(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.chdir(PROJECT_ROOT)

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", AppSettings)

    message = str(raised.value)
    for variable in ("DATABASE_URL", "ALLOWED_ORIGINS", "ALLOWED_HOSTS"):
        assert variable in message


def _refuses_production() -> bool:
    try:
        load_settings("production", AppSettings)
    except ConfigurationError:
        return True
    return False


def test_env_example_copied_whole_weakens_nothing_in_production(
    production_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """.env.example says to copy what you need into `.env`: copied whole, production keeps its
    defaults (docs off, HSTS on), and a value production refuses to start without is still
    refused when only the copy could supply it (no development value passes for it)."""
    env_file = tmp_path / ".env"
    env_file.write_text((PROJECT_ROOT / ".env.example").read_text())

    settings = load_settings("production", AppSettings)

    assert settings.DOCS_ENABLED is False
    assert settings.HSTS_ENABLED is True
    assert settings.FORWARDED_ALLOW_IPS == ["127.0.0.1/32"]

    candidates = {*PRODUCTION_REQUIRED, *TEST_ENVIRONMENT, *PRODUCTION_TEST_ENVIRONMENT}
    required = set()
    for name in sorted(candidates):
        with production_environment.context() as without:
            without.delenv(name, raising=False)
            env_file.rename(tmp_path / "example")
            refused_without_it = _refuses_production()
            (tmp_path / "example").rename(env_file)
            if refused_without_it:
                required.add(name)
                assert _refuses_production(), f".env.example supplies a value of {name}"
    assert required == set(PRODUCTION_REQUIRED)


def test_development_defaults_to_embedded_sqlite(clean_environment: pytest.MonkeyPatch) -> None:
    settings = load_settings("development", AppSettings)

    assert isinstance(settings, DevelopmentSettings)
    assert settings.DATABASE_URL == "sqlite+aiosqlite:///./dev.db"
    assert settings.ENVIRONMENT is Environment.DEVELOPMENT
    assert settings.DOCS_ENABLED is True


def test_development_reads_its_dotenv_file(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.chdir(PROJECT_ROOT)

    settings = load_settings("Development", AppSettings)

    assert settings.LOG_FORMAT == "console"
    assert settings.ALLOWED_ORIGINS == ["http://localhost:3000", "http://127.0.0.1:3000"]


def test_logs_are_for_people_in_development_and_for_log_stores_elsewhere(
    production_environment: pytest.MonkeyPatch,
) -> None:
    assert load_settings("development", AppSettings).LOG_FORMAT == "console"
    assert load_settings("production", AppSettings).LOG_FORMAT == "json"
    assert load_settings("test", AppSettings).LOG_FORMAT == "json"

    production_environment.setenv("LOG_FORMAT", "console")
    assert load_settings("production", AppSettings).LOG_FORMAT == "console"


@pytest.mark.parametrize("value", ["text", "JSON", "pretty"])
def test_an_unknown_log_format_is_refused_naming_the_choices(
    production_environment: pytest.MonkeyPatch, value: str
) -> None:
    production_environment.setenv("LOG_FORMAT", value)

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", AppSettings)

    assert str(raised.value) == (
        "invalid production configuration: LOG_FORMAT input should be 'json' or 'console'"
    )


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="ENVIRONMENT must be one of"):
        load_settings("staging", AppSettings)


def test_a_secret_never_appears_in_a_configuration_error(
    production_environment: pytest.MonkeyPatch,
) -> None:
    production_environment.setenv("DATABASE_URL", "postgresql://app:change-me-tiny@db:5432/app")
    production_environment.setenv("HTTP_MAX_HEADERS", "not-a-number")

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", AppSettings)

    assert "change-me-tiny" not in str(raised.value)
    assert "DATABASE_URL" in str(raised.value)
    assert "HTTP_MAX_HEADERS" in str(raised.value)


def test_the_core_settings_load_alone_with_the_same_rules(
    production_environment: pytest.MonkeyPatch,
) -> None:
    """Migrations read only the core's settings: an integration's variables are not needed."""
    settings = load_settings("production", Settings)

    assert settings.ENVIRONMENT is Environment.PRODUCTION
    assert settings.DOCS_ENABLED is False
    assert set(type(settings).model_fields) == set(Settings.model_fields)


class GatewaySettings(Settings):
    """An integration's settings, as app/integrations/ declares them."""

    GATEWAY_URL: str = "http://127.0.0.1:9000"

    @model_validator(mode="after")
    def name_the_gateway_in_production(self) -> Self:
        require_in_production(self, "GATEWAY_URL")
        return self


def test_an_integration_requirement_is_named_in_production(
    production_environment: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", GatewaySettings)
    assert str(raised.value) == "invalid production configuration: GATEWAY_URL is required"

    production_environment.setenv("GATEWAY_URL", "https://gateway.internal")
    assert load_settings("production", GatewaySettings).GATEWAY_URL == "https://gateway.internal"
    production_environment.delenv("GATEWAY_URL")
    assert load_settings("development", GatewaySettings).GATEWAY_URL == "http://127.0.0.1:9000"


def test_an_environment_class_is_built_once_and_keeps_the_rules_first() -> None:
    production = settings_for(Environment.PRODUCTION, GatewaySettings)

    assert settings_for(Environment.PRODUCTION, GatewaySettings) is production
    assert issubclass(production, GatewaySettings)
    assert production.ENVIRONMENT is Environment.PRODUCTION
    assert production.model_fields["DOCS_ENABLED"].default is False
    assert ProductionSettings.model_fields["DOCS_ENABLED"].default is False


def _named(message: str) -> list[str]:
    """The variable each line of a refusal with several problems starts with."""
    heading, *lines = message.split("\n")
    assert heading == f"invalid production configuration, {len(lines)} problems:", message
    assert all(line.startswith("  - ") for line in lines), message
    return [line.removeprefix("  - ").split(" ", 1)[0] for line in lines]


def test_production_with_nothing_set_names_every_required_variable_at_once(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    """What a newcomer meets on a first production start: one refusal listing every variable
    the service needs, not one variable per attempt."""
    for name in ProductionSettings.model_fields:
        clean_environment.delenv(name, raising=False)

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", AppSettings)

    named = _named(str(raised.value))
    assert sorted(named) == sorted(PRODUCTION_REQUIRED)
    assert len(named) == len(set(named))


class CheckedGatewaySettings(GatewaySettings):
    """Checks across fields that refuse alongside each other and alongside invalid fields."""

    GATEWAY_TIMEOUT_SECONDS: float = 5.0
    GATEWAY_TOKEN: SecretStr

    @model_validator(mode="after")
    def bound_the_timeout_in_production(self) -> Self:
        if self.ENVIRONMENT is Environment.PRODUCTION and self.GATEWAY_TIMEOUT_SECONDS > 2:
            raise ValueError("GATEWAY_TIMEOUT_SECONDS must be at most 2 in production")
        return self

    @model_validator(mode="after")
    def refuse_a_short_token(self) -> Self:
        if len(self.GATEWAY_TOKEN.get_secret_value()) < 8:
            raise ValueError("GATEWAY_TOKEN must be at least 8 characters")
        return self


def test_invalid_fields_and_every_refusing_check_are_named_together(
    production_environment: pytest.MonkeyPatch,
) -> None:
    production_environment.setenv("ALLOWED_HOSTS", "*")
    production_environment.setenv("GATEWAY_TOKEN", "short")

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", CheckedGatewaySettings)

    assert str(raised.value).split("\n") == [
        "invalid production configuration, 4 problems:",
        "  - ALLOWED_HOSTS must list host names explicitly; '*' is not allowed in production",
        "  - GATEWAY_URL is required",
        "  - GATEWAY_TIMEOUT_SECONDS must be at most 2 in production",
        "  - GATEWAY_TOKEN must be at least 8 characters",
    ]


def test_a_check_on_an_invalid_field_waits_until_the_field_is_valid(
    production_environment: pytest.MonkeyPatch,
) -> None:
    """An invalid value is named once, by its own problem: a check that reads it runs at the
    next start, and one that cannot run without it does not turn into a traceback."""
    production_environment.setenv("GATEWAY_URL", "https://gateway.internal")
    production_environment.setenv("GATEWAY_TIMEOUT_SECONDS", "soon")

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", CheckedGatewaySettings)

    assert _named(str(raised.value)) == ["GATEWAY_TIMEOUT_SECONDS", "GATEWAY_TOKEN"]
    assert "GATEWAY_TOKEN is required" in str(raised.value)


def test_a_command_reading_part_of_the_settings_names_everything_the_start_refuses(
    production_environment: pytest.MonkeyPatch,
) -> None:
    """Migrations read the core's settings: refused, they name the integrations' problems too,
    so the first start does not stop at the core's and the next one at the rest."""
    production_environment.setenv("ENVIRONMENT", "production")
    production_environment.delenv("DATABASE_URL")

    with pytest.raises(SystemExit) as exited:
        load_settings_or_exit(Settings, whole=lambda: GatewaySettings)

    assert _named(str(exited.value).removeprefix("configuration error: ")) == [
        "DATABASE_URL",
        "GATEWAY_URL",
    ]
    production_environment.setenv("GATEWAY_URL", "https://gateway.internal")
    with pytest.raises(SystemExit) as exited:
        load_settings_or_exit(Settings, whole=lambda: GatewaySettings)
    assert str(exited.value) == (
        "configuration error: invalid production configuration: DATABASE_URL is required"
    )
