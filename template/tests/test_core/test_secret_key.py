"""What makes a key weak: short, patterned or published (app/core/secret_key.py). Production's
refusal of a weak SECRET_KEY is tested with the accounts that sign with it
(test_account_settings.py)."""

from __future__ import annotations

import random
import string

import pytest

from app.core.secret_key import key_weaknesses


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
        assert key_weaknesses(key) == [], key
