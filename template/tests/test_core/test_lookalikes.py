"""The key that makes addresses rendering alike collide (app/core/lookalikes.py)."""

from __future__ import annotations

import pytest

from app.core.lookalikes import email_lookalike_key, skeleton


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0430lice@example.com",  # a Cyrillic "a"
        "\u03b1lice@example.com",  # a Greek alpha
        "\uff41lice@example.com",  # a fullwidth "a"
        "\uff21LICE@EXAMPLE.COM",  # fullwidth capitals
        "a\u217cice@example.com",  # the Roman numeral fifty, small
        "alice\u0301@example.com",  # a combining acute accent
        "al\u0131ce@example.com",  # a dotless "i"
        "alice@ex\u0430mple.com",  # in the domain
        "alice@\uff45xample.com",
    ],
)
def test_addresses_that_render_alike_share_a_key(lookalike: str) -> None:
    assert skeleton(lookalike) == "alice@example.com"
    assert email_lookalike_key(lookalike) == email_lookalike_key("alice@example.com")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("arnie@example.com", "amie@example.com"),
        ("bill1@example.com", "billl@example.com"),
        ("o0@example.com", "oo@example.com"),
        ("alice@example.com", "alicia@example.com"),
    ],
)
def test_ascii_addresses_keep_every_character(one: str, other: str) -> None:
    assert email_lookalike_key(one) != email_lookalike_key(other)


def test_non_latin_addresses_that_render_alike_share_a_key_too() -> None:
    # The same name spelt with and without the diaeresis; another script's look-alike letter.
    assert skeleton("\u043f\u0451\u0442\u0440@example.com") == skeleton(
        "\u043f\u0435\u0442\u0440@example.com"
    )
    assert skeleton("\u03c1eter@example.com") == skeleton("\u0440eter@example.com")


def test_the_key_is_a_fixed_length_digest_whatever_nfkc_expands_to() -> None:
    # U+FDFA expands to 18 characters under NFKC.
    key = email_lookalike_key("\ufdfa" * 60 + "@example.com")

    assert len(key) == 64
    assert set(key) <= set("0123456789abcdef")
