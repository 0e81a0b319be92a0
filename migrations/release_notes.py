"""After every `copier update`: the template's "Upgrading" notes the service has not seen yet.

The notes live in the template's CHANGELOG.md, which a service never sees. This prints the
"Upgrading" items of the template's new CHANGELOG that its CHANGELOG at the service's recorded
commit did not have: the releases in between for a tagged update, and what was added since the
recorded commit for a render of an untagged one (Copier's dev versions). The same notes are
added to the service's UPGRADING.md, newest first; with no new note, nothing is written.

Standard library and git only. Usage:
python migrations/release_notes.py --template DIR [--project DIR] [--from REF] [--to REF]
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

CHANGELOG = "CHANGELOG.md"
UPGRADING = "UPGRADING.md"
UPGRADING_HEADER = """# Upgrading notes

What each `copier update` brought from the template that may need a step of yours, newest first.
Written by the update itself (the template's CHANGELOG has the whole story); yours to keep.
"""
_RELEASE = re.compile(r"^## (.+)$")
_SUBSECTION = re.compile(r"^### (.+)$")


def upgrading_notes(changelog: str) -> list[tuple[str, str]]:
    """(release heading, item) of each item of each release's "Upgrading" part, in order."""
    notes: list[tuple[str, str]] = []
    release, in_upgrading, item = "", False, ""

    def flush() -> None:
        nonlocal item
        if item:
            notes.append((release, item.rstrip()))
        item = ""

    for line in changelog.splitlines():
        if match := _RELEASE.match(line):
            flush()
            release, in_upgrading = match.group(1).strip(), False
        elif match := _SUBSECTION.match(line):
            flush()
            in_upgrading = match.group(1).strip().lower().startswith("upgrading")
        elif in_upgrading and line.startswith("- "):
            flush()
            item = line + "\n"
        elif in_upgrading and item and (line.startswith("  ") or not line.strip()):
            item += line + "\n"
        else:
            flush()
    flush()
    return notes


def _normalised(item: str) -> str:
    return " ".join(item.split())


def new_notes(old_changelog: str, new_changelog: str) -> list[tuple[str, str]]:
    seen = {_normalised(item) for _, item in upgrading_notes(old_changelog)}
    return [
        (release, item)
        for release, item in upgrading_notes(new_changelog)
        if _normalised(item) not in seen
    ]


def changelog_at(template: Path, ref: str) -> str | None:
    shown = subprocess.run(
        ["git", "show", f"{ref}:{CHANGELOG}"], cwd=template, capture_output=True, check=False
    )
    return shown.stdout.decode() if shown.returncode == 0 else None


def render_notes(notes: list[tuple[str, str]], old: str, new: str, today: str) -> str:
    lines = [f"## {today}: {old} → {new}", ""]
    release = None
    for heading, item in notes:
        if heading != release:
            release = heading
            lines += [f"### {heading}", ""]
        lines.append(item)
    return "\n".join(lines).rstrip() + "\n"


def record(project: Path, block: str) -> None:
    path = project / UPGRADING
    existing = path.read_text() if path.is_file() else UPGRADING_HEADER
    head, _, rest = existing.partition("\n## ")
    rest = f"## {rest}" if rest else ""
    path.write_text(f"{head.rstrip()}\n\n{block}\n{rest}".rstrip() + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--from", dest="old", default=os.environ.get("VERSION_FROM", ""))
    parser.add_argument("--to", dest="new", default=os.environ.get("VERSION_TO", ""))
    arguments = parser.parse_args(argv)
    if not arguments.old or arguments.old == arguments.new:
        return 0
    old_changelog = changelog_at(arguments.template, arguments.old)
    new_changelog = (arguments.template / CHANGELOG).read_text()
    if old_changelog is None:
        print(
            f"The template's notes at {arguments.old} could not be read: see its CHANGELOG.md for"
            " every release since.",
            file=sys.stderr,
        )
        return 0
    notes = new_notes(old_changelog, new_changelog)
    if not notes:
        print(f"No upgrading notes from {arguments.old} to {arguments.new}.", file=sys.stderr)
        return 0
    today = datetime.date.today().isoformat()
    block = render_notes(notes, arguments.old, arguments.new, today)
    record(arguments.project, block)
    print(f"Upgrading notes (kept in {UPGRADING}):\n\n{block}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
