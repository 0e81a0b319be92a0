"""Jinja filters used by copier.yml validators and defaults.

Validators live here, not in copier.yml, so each rule is written once and tested directly.
"""

from __future__ import annotations

import re
import unicodedata

from jinja2 import Environment
from jinja2.ext import Extension

_SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 ._()\-]*")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_FORBIDDEN_IN_TEXT = frozenset('"\\')


def slugify(value: str) -> str:
    """Turn a human name into a slug that `is_slug` accepts, or "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)[:50].strip("-")
    return slug.lstrip("0123456789-")


def is_slug(value: object) -> bool:
    text = str(value)
    return 2 <= len(text) <= 50 and _SLUG.fullmatch(text) is not None


def is_plain_text(value: object, max_length: int, allow_punctuation: bool = False) -> bool:
    """One line of printable text that is safe inside TOML, YAML and Python string literals."""
    text = str(value)
    if not 1 <= len(text) <= max_length or text != text.strip():
        return False
    if allow_punctuation:
        return all(ch.isprintable() and ch not in _FORBIDDEN_IN_TEXT for ch in text)
    return _NAME.fullmatch(text) is not None


def is_email(value: object) -> bool:
    text = str(value)
    return len(text) <= 254 and _EMAIL.fullmatch(text) is not None


class NameFilters(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["slugify"] = slugify
        environment.filters["is_slug"] = is_slug
        environment.filters["is_plain_text"] = is_plain_text
        environment.filters["is_email"] = is_email
