"""ALLOWED_ORIGINS, ALLOWED_HOSTS and FORWARDED_ALLOW_IPS: one format each, every entry checked,
and production's refusals on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bootstrap.settings import AppSettings
from app.core.config_loading import ConfigurationError, load_settings
from app.core.edge import host_allowed
from tests.features import PRODUCTION_TEST_ENVIRONMENT


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A complete production environment, no dotenv file read."""
    monkeypatch.chdir(tmp_path)
    for name in ("FORWARDED_ALLOW_IPS", "ALLOWED_HOSTS_EXEMPT_PATHS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db:5432/app")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com")
    monkeypatch.setenv("ALLOWED_HOSTS", "api.example.com")
    for name, value in PRODUCTION_TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def _refusal(environment_name: str) -> str:
    with pytest.raises(ConfigurationError) as raised:
        load_settings(environment_name, AppSettings)
    return str(raised.value)


def test_origins_are_normalised(environment: pytest.MonkeyPatch) -> None:
    environment.setenv(
        "ALLOWED_ORIGINS", "HTTPS://App.Example.com:443/, https://admin.example.com:8443"
    )

    settings = load_settings("production", AppSettings)

    assert settings.ALLOWED_ORIGINS == ["https://app.example.com", "https://admin.example.com:8443"]


@pytest.mark.parametrize(
    "value",
    [
        '["https://app.example.com"]',  # a JSON list: the format is comma-separated
        "https://app.example.com/app",
        "https://app.example.com?x=1",
        "app.example.com",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://app.example.com:99999",
        "https://exa mple.com",
    ],
)
@pytest.mark.parametrize("environment_name", ["production", "development"])
def test_an_entry_that_is_not_an_origin_is_refused_naming_the_format(
    environment: pytest.MonkeyPatch, value: str, environment_name: str
) -> None:
    environment.setenv("ALLOWED_ORIGINS", value)

    message = _refusal(environment_name)

    assert "ALLOWED_ORIGINS" in message
    assert "is not an origin: list them as scheme://host[:port], comma-separated" in message


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("*", "'*' is not allowed"),
        ("https://app.example.com,null", "must not list 'null'"),
        ("http://app.example.com", "must use https:// except for localhost"),
    ],
)
def test_production_refuses_open_or_insecure_origins(
    environment: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    environment.setenv("ALLOWED_ORIGINS", value)

    assert reason in _refusal("production")


def test_local_front_ends_may_use_plain_http(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("ALLOWED_ORIGINS", "http://localhost:3000,http://127.0.0.1:5173")

    settings = load_settings("production", AppSettings)

    assert settings.ALLOWED_ORIGINS == ["http://localhost:3000", "http://127.0.0.1:5173"]


def test_development_allows_any_origin_and_any_host(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("ALLOWED_ORIGINS", "*")
    environment.delenv("ALLOWED_HOSTS")

    settings = load_settings("development", AppSettings)

    assert settings.ALLOWED_ORIGINS == ["*"]
    assert settings.ALLOWED_HOSTS == ["*"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("*", "'*' is not allowed in production"),
        ("https://api.example.com", "is not a host"),
        ("api.example.com:443", "is not a host"),
        ("api..example.com", "is not a host"),
    ],
)
def test_production_refuses_any_host_and_malformed_hosts(
    environment: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    environment.setenv("ALLOWED_HOSTS", value)

    message = _refusal("production")

    assert "ALLOWED_HOSTS" in message
    assert reason in message


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("api.example.com", True),
        ("API.Example.com:8443", True),
        ("api.example.com.", True),
        ("eu.tenants.example.com", True),
        ("tenants.example.com", False),
        ("evil.com", False),
        ("api.example.com.evil.com", False),
        ("", False),
        ("[::1]:8000", True),
        ("10.0.0.1", True),
    ],
)
def test_host_headers_match_names_subdomain_patterns_and_addresses(
    header: str, allowed: bool
) -> None:
    hosts = frozenset({"api.example.com", "*.tenants.example.com", "[::1]", "10.0.0.1"})

    assert host_allowed(header, hosts) is allowed


def test_trusted_proxies_are_addresses_or_networks(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5, 10.1.0.0/16, fd00::/8")

    settings = load_settings("production", AppSettings)

    assert settings.FORWARDED_ALLOW_IPS == ["10.0.0.5/32", "10.1.0.0/16", "fd00::/8"]


@pytest.mark.parametrize(
    ("value", "environment_name", "reason"),
    [
        ("*", "production", "'*' would believe any client's X-Forwarded-For"),
        # The Kubernetes ConfigMap's placeholder, and any other documentation network.
        ("192.0.2.0/24", "production", "not a documentation network: 192.0.2.0/24"),
        ("10.0.0.5, 198.51.100.7", "production", "not a documentation network: 198.51.100.7/32"),
        ("2001:db8::/48", "production", "not a documentation network: 2001:db8::/48"),
        ("proxy.internal", "production", "is not an IP address or network"),
        ("10.1.0.1/16", "development", "is not an IP address or network"),
    ],
)
def test_trusting_everyone_or_a_malformed_proxy_is_refused(
    environment: pytest.MonkeyPatch, value: str, environment_name: str, reason: str
) -> None:
    environment.setenv("FORWARDED_ALLOW_IPS", value)

    message = _refusal(environment_name)

    assert "FORWARDED_ALLOW_IPS" in message
    assert reason in message
