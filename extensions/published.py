"""The keys this template publishes: every key-like value in its own files.

Anything written in the template's files (examples in the docs, the development and test keys,
constants in its tests, digests) is public, so a generated service must refuse it as its
SECRET_KEY. A render lists the SHA-256 digests of these values
(app/integrations/accounts/published_keys.py); tests/rendering/test_secret_keys.py checks that a
rendered production service refuses every value this scan finds, with the rules of
app/core/secret_key.py.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
# What is the template's own: its text files, minus what tools make or keep beside them. The lock
# file's hashes are package checksums, not values anyone takes for a key.
_SKIPPED_DIRECTORIES = frozenset(
    {".git", ".venv", "site", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache"}
    | {".ruff_cache"}
)
_SKIPPED_FILES = frozenset({"uv.lock"})
_MAX_FILE_BYTES = 1_000_000

# Random-looking runs: base64/hex alphabets, 20+ characters, letters and digits mixed.
_TOKEN = re.compile(r"(?<![A-Za-z0-9_\-+/=])[A-Za-z0-9_\-+/=]{20,}(?![A-Za-z0-9_\-+/=])")
# Identifiers and paths made of words ("test_the_thing", "alembic/template_versions"): not keys,
# unless a part is long and has digits ("test-only-key-0123456789abcdef").
_WORDS = re.compile(r"[A-Za-z0-9]+(?:[-_./][A-Za-z0-9]+)+")
_RANDOM_PART = re.compile(r"(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{12,}")
# The value given to anything named like a secret: SECRET_KEY=..., "secret_key": "...", KEY = "...".
_ASSIGNED = re.compile(
    r"(?i)\b\w*(?:secret|key|token|password)\w*[\"']?\s*[:=]\s*[\"']?"
    r"([^\s\"'`(){}\[\]<>,;]{8,})"
)


def template_files(root: Path = TEMPLATE_ROOT) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(root):
        # Pruned in place, so a developer's virtual environment is never walked.
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED_DIRECTORIES)
        for name in sorted(names):
            if name not in _SKIPPED_FILES:
                yield Path(directory, name)


def key_candidates(text: str) -> set[str]:
    """Values in `text` that someone could take for a key."""
    found = {
        token
        for token in _TOKEN.findall(text)
        if re.search(r"\d", token)
        and re.search(r"[A-Za-z]", token)
        and (not _WORDS.fullmatch(token) or _RANDOM_PART.search(token))
    }
    found.update(_ASSIGNED.findall(text))
    return found


def published_keys(root: Path = TEMPLATE_ROOT) -> set[str]:
    keys: set[str] = set()
    for path in template_files(root):
        if path.stat().st_size > _MAX_FILE_BYTES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        keys |= key_candidates(text)
    return keys


# Copier runs the context hook for every file it renders: scan once per template load.
@functools.cache
def published_digests(root: Path = TEMPLATE_ROOT) -> list[str]:
    """Sorted digests, as app/core/secret_key.py's published_digest computes them."""
    return sorted(
        {hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] for key in published_keys(root)}
    )
