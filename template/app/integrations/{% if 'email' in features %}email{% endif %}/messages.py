"""A mail: a plain-text and an HTML body from the files in templates/, and the parts a queue can
carry (plain strings)."""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    # What the mail is for ("password_reset"), for the log line; never its content.
    kind: str


@functools.cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def render_mail(kind: str, *, to: str, subject: str, values: dict[str, str]) -> Mail:
    """`templates/<kind>.txt` and `<kind>.html` with `$name` placeholders filled in; the HTML
    body gets the values escaped."""
    escaped = {name: html.escape(value) for name, value in values.items()}
    return Mail(
        to=to,
        subject=subject,
        text=_template(f"{kind}.txt").substitute(values),
        html=_template(f"{kind}.html").substitute(escaped),
        kind=kind,
    )
