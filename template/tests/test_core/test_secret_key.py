"""Production refuses keys that are short, patterned or published, and says how to make one."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from app.bootstrap.settings import AppSettings
from app.core.config_loading import ConfigurationError, load_settings
from app.core.environments import TestingRules
from app.core.published_keys import PUBLISHED_KEY_DIGESTS
from app.core.secret_key import HOW_TO_GENERATE, key_weaknesses, published_digest
from tests.support import PROJECT_ROOT


def _dotenv_value(path: Path, name: str) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} is not in {path}")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("a" * 32, "uses only 1 distinct characters"),
        ("12345678901234567890123456789012", "contains a sequence"),
        ("abcdefghijklmnopqrstuvwxyzABCDEF", "contains a sequence"),
        ("Q7" + "9876543" + "xLm2Np4Rt6Wy8Bc0Df3Gh5Jk7", "contains a sequence"),
        ("k3Y9" * 10, "repeats a shorter block"),
        ("Xq7" + "z" * 7 + "Lm2Np4Rt6Wy8Bc0Df3Gh5Jk7", "repeats a character"),
        ("0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT", "shorter than 32"),
    ],
)
def test_patterned_keys_are_weak(key: str, reason: str) -> None:
    assert any(reason in problem for problem in key_weaknesses(key)), key_weaknesses(key)


URL_SAFE = string.ascii_letters + string.digits + "-_"
HEX = string.hexdigits[:16]


@pytest.mark.parametrize(
    ("alphabet", "length"), [(URL_SAFE, 32), (HEX, 32), (URL_SAFE, 64), (HEX, 64)]
)
def test_random_keys_are_accepted(alphabet: str, length: int) -> None:
    # A fixed seed: the rules refuse about 1 in 100,000 random hex keys, and a test must not.
    generator = random.Random(20261202)  # noqa: S311 - stands in for secrets, reproducibly
    for _ in range(200):
        key = "".join(generator.choices(alphabet, k=length))
        assert key_weaknesses(key, PUBLISHED_KEY_DIGESTS) == [], key


def test_the_keys_this_project_ships_are_published() -> None:
    development_key = _dotenv_value(PROJECT_ROOT / ".env.development", "SECRET_KEY")
    testing_key = TestingRules.model_fields["SECRET_KEY"].default.get_secret_value()
    for key in (development_key, testing_key):
        assert published_digest(key) in PUBLISHED_KEY_DIGESTS
        assert "is published in the template's files" in key_weaknesses(key, PUBLISHED_KEY_DIGESTS)


@pytest.mark.parametrize(
    "key",
    [
        "a" * 40,
        "1234567890" * 4,
        "test-only-key-0123456789abcdef0123456789abcdef",
    ],
)
def test_production_refuses_a_weak_key_saying_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db:5432/app")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com")
    monkeypatch.setenv("ALLOWED_HOSTS", "api.example.com")

    with pytest.raises(ConfigurationError) as raised:
        load_settings("production", AppSettings)

    message = str(raised.value)
    assert "SECRET_KEY is not a random key" in message
    assert HOW_TO_GENERATE in message
    assert key not in message
