"""Addresses that look alike get one key, so a unique key refuses an account whose address
renders like another's: "alice@example.com" spelt with a Cyrillic "a" (U+0430), a fullwidth
"a" (U+FF41), or with a combining accent after the "e" (U+0301).

The key is built after Unicode's skeleton of UTS #39 (section 4), adapted to addresses:
compatibility forms folded (NFKC: fullwidth letters, ligatures), lower-cased, combining marks
and invisible format characters dropped, and every other non-ASCII character replaced by the
character it is confusable with, ASCII where it looks like ASCII. ASCII characters stay as they
are: "rn" and "m", or "l" and "1", are different addresses people really have, as usernames
(ASCII only) are different names.

The confusable pairs are Unicode's confusables.txt as the confusable-homoglyphs package ships
it (its JSON data only; its own functions test mixed scripts, not two strings for look-alikes).
The key is a SHA-256 digest of the skeleton: fixed length, whatever NFKC expands to.
"""

from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
from importlib.resources import files

# Marks and invisible formatting: an address shows the same with or without them.
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each non-ASCII character that looks like another, mapped to the one its group of
    look-alikes is written with: the ASCII character of the group, else its smallest."""
    pairs: dict[str, list[dict[str, str]]] = json.loads(
        (files("confusable_homoglyphs") / "confusables.json").read_text(encoding="utf-8")
    )
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.setdefault(char, char) != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    ascii_match: dict[str, str] = {}
    for char, lookalikes in pairs.items():
        for lookalike in (entry["c"] for entry in lookalikes):
            if len(char) != 1 or len(lookalike) != 1 or (char.isascii() and lookalike.isascii()):
                continue
            if char.isascii() or lookalike.isascii():
                other, ascii_char = (lookalike, char) if char.isascii() else (char, lookalike)
                ascii_match[other] = ascii_char
            else:
                parent[root(char)] = root(lookalike)
    # Groups joined through non-ASCII pairs; the data never puts two ASCII characters in one.
    group_ascii = {root(char): ascii_char for char, ascii_char in ascii_match.items()}
    group_smallest: dict[str, str] = {}
    for char in parent:
        group = root(char)
        group_smallest[group] = min(group_smallest.get(group, char), char)
    return {
        char: group_ascii.get(root(char), group_smallest[root(char)])
        for char in {*parent, *ascii_match}
    }


def skeleton(text: str) -> str:
    """`text` as it looks: two strings that render alike have the same skeleton."""
    prototypes = _prototypes()
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).lower())
    return "".join(
        prototypes.get(char, char)
        for char in folded
        if unicodedata.category(char) not in _DROPPED_CATEGORIES
    )


def email_lookalike_key(email: str) -> str:
    """The key two addresses share when they look alike (a SHA-256 hex digest)."""
    return hashlib.sha256(skeleton(email).encode("utf-8", "surrogatepass")).hexdigest()
