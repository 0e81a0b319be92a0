"""The environments the settings tests load settings from (test_config.py and, with the service's
own accounts, test_password_settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.features import PRODUCTION_TEST_ENVIRONMENT

# Whatever the shell running the suite sets; an integration's test values (tests/features.py)
# stay, and production_environment replaces those production refuses.
SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "ALLOWED_ORIGINS",
    "ALLOWED_HOSTS",
    "FORWARDED_ALLOW_IPS",
    "DOCS_ENABLED",
    "HSTS_ENABLED",
    "LOG_LEVEL",
    "LOG_FORMAT",
)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No settings from the process or from dotenv files: each test sets what it needs."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.fixture
def production_environment(clean_environment: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    clean_environment.setenv("DATABASE_URL", "postgresql://app:pw@db:5432/app")
    clean_environment.setenv(
        "ALLOWED_ORIGINS", "https://app.example.com, https://admin.example.com/"
    )
    clean_environment.setenv("ALLOWED_HOSTS", "api.example.com")
    for name, value in PRODUCTION_TEST_ENVIRONMENT.items():
        clean_environment.setenv(name, value)
    return clean_environment
