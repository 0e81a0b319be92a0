"""After every `copier update`: name the files the update left with conflicts.

Copier leaves <<<<<<< / >>>>>>> markers in a file where the service's edits and the template's
touch the same lines, records it as unmerged in git's index, exits 0 and says nothing more; the
files were only visible in `git status`. A moved file the service had changed gets its markers
from migrations/keep_team_work.py instead, outside the index: so the changed files are read for
markers too. Copier runs this last, in the service's directory, so the list is the last thing
printed. Standard library only; Python 3.10+ (what Copier runs on).

Usage: python migrations/conflicts.py [--project DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

RELIST = "git grep --untracked -lE '^(<<<<<<<|>>>>>>>)( |$)' -- . ':!.template-set-aside'"
SET_ASIDE = ".template-set-aside/"
MARKERS = re.compile(rb"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)


def _listed(project: Path, *args: str) -> set[str]:
    listed = subprocess.run(
        ["git", *args, "-z"], cwd=project, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        return set()
    return {name for name in listed.stdout.split("\0") if name}


def conflicted_files(project: Path) -> list[str]:
    """Unmerged paths in the project's git index, and changed or new files with markers."""
    unmerged = _listed(project, "diff", "--name-only", "--diff-filter=U")
    changed = _listed(project, "diff", "--name-only", "HEAD") | _listed(
        project, "ls-files", "--others", "--exclude-standard"
    )
    marked = {
        name
        for name in changed
        if not name.startswith(SET_ASIDE)
        and (project / name).is_file()
        and MARKERS.search((project / name).read_bytes())
    }
    return sorted(unmerged | marked)


def report(files: list[str]) -> str:
    if not files:
        return "copier update: no conflicts."
    lines = [
        f"copier update left conflicts in {len(files)} file(s); resolve the <<<<<<< / >>>>>>>"
        " markers in:",
        *(f"  {name}" for name in files),
        f"(list them again with: {RELIST})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Name the files a copier update left conflicted.")
    parser.add_argument("--project", type=Path, default=Path.cwd())
    arguments = parser.parse_args(argv)
    print(report(conflicted_files(arguments.project)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
