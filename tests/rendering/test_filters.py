"""The rules behind copier.yml's validators and derived defaults."""

from __future__ import annotations

import pytest

from extensions.filters import is_email, is_plain_text, is_slug, slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("FastAPI Service", "fastapi-service"),
        ("Payments  API (v2)", "payments-api-v2"),
        ("Café Crème", "cafe-creme"),
        ("2nd Opinion", "nd-opinion"),
        ("___", ""),
    ],
)
def test_slugify_produces_a_valid_slug_or_nothing(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert slug == "" or is_slug(slug)


@pytest.mark.parametrize("slug", ["ab", "payments-api", "svc2", "a" * 50])
def test_valid_slugs(slug: str) -> None:
    assert is_slug(slug)


@pytest.mark.parametrize(
    "slug", ["a", "Payments", "payments_api", "-api", "api-", "api--v2", "2api", "a" * 51, ""]
)
def test_invalid_slugs(slug: str) -> None:
    assert not is_slug(slug)


@pytest.mark.parametrize(
    ("text", "punctuation", "valid"),
    [
        ("My Service", False, True),
        ("Service (v2)", False, True),
        ("9 lives", False, False),
        ('Quote"d', False, False),
        ("Line\nbreak", True, False),
        ('Say "hi"', True, False),
        ("Back\\slash", True, False),
        ("Émile's API: fast, typed!", True, True),
        (" padded", True, False),
        ("", True, False),
    ],
)
def test_plain_text(text: str, punctuation: bool, valid: bool) -> None:
    assert is_plain_text(text, 80, allow_punctuation=punctuation) is valid


def test_plain_text_respects_its_length_limit() -> None:
    assert is_plain_text("a" * 10, 10)
    assert not is_plain_text("a" * 11, 10)


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("team@example.com", True),
        ("first.last+tag@sub.example.org", True),
        ("no-at-sign.example.com", False),
        ("two@@example.com", False),
        ("space @example.com", False),
        ("Name <team@example.com>", False),
        ('quote"@example.com', False),
        ("team@localhost", False),
    ],
)
def test_email(address: str, valid: bool) -> None:
    assert is_email(address) is valid
