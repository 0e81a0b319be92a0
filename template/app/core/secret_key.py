"""How production judges a key before signing anything with it (the service's own accounts'
SECRET_KEY), and the placeholders no secret may hold (a database URL's password too).

A key that signs access tokens (HS256) must be random: long enough, and none of the shapes
people type or copy instead (one character over and over, "abcdef…", "1234…", a short block
repeated), and none of the keys published in the template this service came from (examples,
the development and test keys: app/integrations/accounts/published_keys.py). The rules refuse
about 1 in 100,000 random hex keys and no measurable share of `secrets.token_urlsafe` keys.

Standard library only: the template's own tests load this file by path.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable

MIN_SECRET_KEY_LENGTH = 32
# 32 random hex characters show about 14 distinct ones; fewer than 8 is a pattern.
MIN_DISTINCT_CHARACTERS = 8
# One character this many times in a row, or this many consecutive code points ("abcdefg",
# "7654321").
MAX_RUN = 7
# Stand-ins people leave in place of a real key.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "insecure", "placeholder", "secret-key", "example")
HOW_TO_GENERATE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def published_digest(key: str) -> str:
    """How a published key is remembered: its SHA-256, cut to 128 bits."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def is_placeholder(text: str) -> bool:
    """Whether `text` holds one of the stand-ins people leave in place of a real secret."""
    lowered = text.lower()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def key_weaknesses(key: str, published: Iterable[str] = ()) -> list[str]:
    """Every reason the key is unfit to sign tokens; empty when it is fit."""
    problems: list[str] = []
    if len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    if is_placeholder(key):
        problems.append("is a placeholder")
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_CHARACTERS:
        problems.append(f"uses only {distinct} distinct characters")
    if _longest_run(key, step=0) >= MAX_RUN:
        problems.append(f"repeats a character {MAX_RUN} or more times in a row")
    if max(_longest_run(key, step=1), _longest_run(key, step=-1)) >= MAX_RUN:
        problems.append(f"contains a sequence of {MAX_RUN} or more characters (like abcdefg)")
    if _repeats_a_block(key):
        problems.append("repeats a shorter block")
    if published_digest(key) in set(published):
        problems.append("is published in the template's files")
    return problems


def _longest_run(text: str, *, step: int) -> int:
    """The longest stretch in which each character's code point is the previous one's + step."""
    longest = run = min(len(text), 1)
    for previous, current in itertools.pairwise(text):
        run = run + 1 if ord(current) - ord(previous) == step else 1
        longest = max(longest, run)
    return longest


def _repeats_a_block(text: str) -> bool:
    """Whether the text is a block repeated (the last copy may be cut short): "abcabcab"."""
    return any(text[period:] == text[:-period] for period in range(1, len(text) // 2 + 1))
