"""Every key-like value in the template's own files is refused as a production SECRET_KEY.

The values come from a scan of the repository (extensions/published.py: random-looking tokens,
and anything assigned to a name like SECRET_KEY, token or password); the verdict comes from the
rendered service's own rules (app/core/secret_key.py with app/integrations/accounts/published_keys.py), loaded
from a render.
"""

from __future__ import annotations

import secrets
from types import ModuleType

import pytest

from extensions.published import key_candidates, published_keys
from tests.helpers import RenderedProject
from tests.modules import load_module


@pytest.fixture(scope="module")
def refusals(default_project: RenderedProject) -> tuple[ModuleType, frozenset[str]]:
    app = default_project.path / "app"
    rules = load_module(app / "core" / "secret_key.py", "rendered_secret_key")
    published: frozenset[str] = load_module(
        app / "integrations" / "accounts" / "published_keys.py", "rendered_published_keys"
    ).PUBLISHED_KEY_DIGESTS
    return rules, published


def test_every_key_in_the_template_files_is_refused(
    refusals: tuple[ModuleType, frozenset[str]],
) -> None:
    rules, published = refusals
    candidates = published_keys()
    accepted = sorted(key for key in candidates if not rules.key_weaknesses(key, published))

    assert accepted == []
    # The scan sees the keys the template is known to ship.
    assert "development-only-insecure-key-never-use-in-production" in candidates
    assert "test-only-key-0123456789abcdef0123456789abcdef" in candidates


@pytest.mark.parametrize(
    "key",
    ["a" * 32, "12345678901234567890123456789012", "test-only-key-" + "0123456789abcdef" * 4],
)
def test_the_weak_keys_the_audit_found_are_refused(
    refusals: tuple[ModuleType, frozenset[str]], key: str
) -> None:
    rules, published = refusals

    assert rules.key_weaknesses(key, published)


def test_a_key_of_ones_own_is_accepted(refusals: tuple[ModuleType, frozenset[str]]) -> None:
    rules, published = refusals

    assert rules.key_weaknesses(secrets.token_urlsafe(48), published) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('SECRET_KEY = "Qm9vZ2llV29vZ2llOTg3NjU0MzIx"', "Qm9vZ2llV29vZ2llOTg3NjU0MzIx"),
        ("secret_key: s3cr3t-value-here", "s3cr3t-value-here"),
        (
            "digest sha256:70729b46c69b4f1e97c4822c1af3df53a147",
            "70729b46c69b4f1e97c4822c1af3df53a147",
        ),
        ("KEY=test-only-key-0123456789abcdef", "test-only-key-0123456789abcdef"),
    ],
)
def test_the_scan_finds_keys_written_in_any_form(text: str, found: str) -> None:
    assert found in key_candidates(text)


def test_the_scan_leaves_identifiers_and_paths_alone() -> None:
    text = "test_the_service_serves_in_production alembic/template_versions/0001_create_users"

    assert key_candidates(text) == set()
