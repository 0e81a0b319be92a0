"""After every `copier update`: nothing the service changed disappears without a word.

Copier deletes a file that leaves the render (an option turned off, a file a release deleted or
moved) even when the service had changed it, and says nothing. This runs after the update, in the
service's directory, and for every file the update removed:

- decides whether the service had changed it by comparing the committed version (an update
  starts from a clean tree, so HEAD is the service's) with a pristine render of the template
  commit recorded in `.copier-answers.yml`, never by guessing from git history;
- sets a changed file aside in `.template-set-aside/<its path>`, outside `app/`, `tests/` and
  `alembic/`, so nothing there is discovered, imported, collected, linted or type-checked;
- when `migrations/releases.yml` says the file moved, merges the service's changes into the new
  path (three-way, against the pristine old render; conflicts are marked and listed like
  Copier's) and rewrites the service's imports of the old module;
- names, path:line, each import of a module the update removed, and each use of a public name
  a release renamed (the old name keeps working through a deprecated alias for a while).

Standard library, git, and the Copier and PyYAML that run the update. Usage:
python migrations/keep_team_work.py --template DIR [--project DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SET_ASIDE = ".template-set-aside"
RELEASES = "migrations/releases.yml"
ANSWERS_FILE = ".copier-answers.yml"
_NOT_THE_SERVICES = {".git", ".venv", SET_ASIDE, "node_modules", "__pycache__"}


def git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, check=check)


@dataclass
class Releases:
    moved: dict[str, tuple[str, str]] = field(default_factory=dict)  # old -> (new, release)
    removed: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (instead, release)
    renamed: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def load(cls, template: Path) -> Releases:
        table = yaml.safe_load((template / RELEASES).read_text()) or {}
        return cls(
            moved={m["from"]: (m["to"], str(m["release"])) for m in table.get("moved") or []},
            removed={
                r["path"]: (r.get("instead", ""), str(r["release"]))
                for r in table.get("removed") or []
            },
            renamed=[{k: str(v) for k, v in r.items()} for r in table.get("renamed") or []],
        )

    def destination(self, path: str) -> str | None:
        """Where `path` lives now, following moves of moves."""
        seen = set()
        while path in self.moved and path not in seen:
            seen.add(path)
            path = self.moved[path][0]
        return path if seen else None


def module_of(path: str) -> str | None:
    if not path.endswith(".py"):
        return None
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) if parts else None


def service_python_files(project: Path) -> Iterator[Path]:
    for path in sorted(project.rglob("*.py")):
        if not _NOT_THE_SERVICES.intersection(path.relative_to(project).parts):
            yield path


def removed_by_the_update(project: Path) -> list[str]:
    """Files of the service's last commit that the update deleted."""
    listed = git(project, "ls-tree", "-r", "-z", "--name-only", "HEAD").stdout.decode()
    return [name for name in listed.split("\0") if name and not (project / name).exists()]


def committed(project: Path, path: str) -> bytes:
    return git(project, "show", f"HEAD:{path}").stdout


def render_recorded_version(project: Path, destination: Path) -> None:
    """The template at the commit the service was last rendered from, with its answers then."""
    import copier  # the Copier running this update

    answers = yaml.safe_load(committed(project, ANSWERS_FILE)) or {}
    source = str(answers["_src_path"])
    if not re.match(r"^[\w+.-]+://|^gh:|^gl:|^git@", source) and not Path(source).is_absolute():
        source = str((project / source).resolve())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            source,
            str(destination),
            data={k: v for k, v in answers.items() if not k.startswith("_")},
            vcs_ref=str(answers["_commit"]),
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
        )


def merge_three_way(
    ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str]
) -> tuple[bytes, bool]:
    """`git merge-file` of the three versions: the merged text and whether it has conflicts."""
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(scratch) / name
            path.write_bytes(content)
            paths.append(str(path))
        merged = subprocess.run(
            ["git", "merge-file", "-p", "-L", labels[0], "-L", labels[1], "-L", labels[2], *paths],
            capture_output=True,
            check=False,
        )
    if merged.returncode < 0 or merged.returncode > 127:
        raise RuntimeError(merged.stderr.decode(errors="replace"))
    return merged.stdout, merged.returncode > 0


def imports_of(module: str, text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of each import of `module` (or of something inside it)."""
    parent, _, leaf = module.rpartition(".")
    escaped = re.escape(module)
    patterns = [
        re.compile(rf"^\s*import\s+{escaped}(\.|\s|$|,)"),
        re.compile(rf"^\s*from\s+{escaped}(\.|\s)"),
    ]
    if parent:
        patterns.append(re.compile(rf"^\s*from\s+{re.escape(parent)}\s+import\s.*\b{leaf}\b"))
    for number, line in enumerate(text.splitlines(), start=1):
        if any(pattern.search(line) for pattern in patterns):
            yield number, line.strip()


def rewrite_moved_imports(project: Path, moves: dict[str, str]) -> list[str]:
    """Dotted references to moved modules now point at their new modules; the files changed."""
    if not moves:
        return []
    pattern = re.compile(r"\b(" + "|".join(re.escape(old) for old in moves) + r")\b")
    changed = []
    for path in service_python_files(project):
        text = path.read_text(errors="replace")
        rewritten = pattern.sub(lambda match: moves[match.group(1)], text)
        if rewritten != text:
            path.write_text(rewritten)
            changed.append(path.relative_to(project).as_posix())
    return changed


@dataclass
class Report:
    set_aside: list[str] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    broken_imports: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    renamed_uses: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines: list[str] = []
        if self.set_aside or self.carried:
            lines.append(
                f"copier update removed or moved {len(self.set_aside) + len(self.carried)} file(s)"
                " you had changed; nothing of yours is lost:"
            )
            lines += [f"  {line}" for line in self.carried + self.set_aside]
            lines.append(
                f"  ({SET_ASIDE}/ is never imported, collected or linted: take what you need,"
                " then delete it; `git show HEAD:<path>` has your version too)"
            )
        if self.rewritten:
            lines.append("Imports of moved modules rewritten in: " + ", ".join(self.rewritten))
        if self.broken_imports:
            lines.append("Your code imports modules this update removed; change or delete:")
            lines += [f"  {line}" for line in self.broken_imports]
        if self.renamed_uses:
            lines.append(
                "Renamed names your code still uses (they work, with a TemplateDeprecationWarning,"
                " until the alias goes):"
            )
            lines += [f"  {line}" for line in self.renamed_uses]
        if not lines:
            lines.append("copier update: none of your changes was removed.")
        return "\n".join(lines)


def keep_team_work(project: Path, template: Path) -> Report:
    releases = Releases.load(template)
    report = Report()
    removed = removed_by_the_update(project)
    if removed:
        with tempfile.TemporaryDirectory() as scratch:
            pristine = Path(scratch) / "pristine"
            render_recorded_version(project, pristine)
            moved_modules = _keep_removed_files(project, pristine, removed, releases, report)
        report.rewritten = rewrite_moved_imports(project, moved_modules)
        _name_broken_imports(project, removed, moved_modules, report)
    _name_renamed_uses(project, releases, report)
    return report


def _keep_removed_files(
    project: Path, pristine: Path, removed: list[str], releases: Releases, report: Report
) -> dict[str, str]:
    moved_modules: dict[str, str] = {}
    for path in removed:
        ours = committed(project, path)
        base_file = pristine / path
        base = base_file.read_bytes() if base_file.is_file() else b""
        # Where a declared move put it, if the update did bring that file.
        destination = releases.destination(path)
        if destination and not (project / destination).is_file():
            destination = None
        if destination:
            old_module, new_module = module_of(path), module_of(destination)
            if old_module and new_module:
                moved_modules[old_module] = new_module
        if base_file.is_file() and ours == base:
            continue  # unchanged: the template's to remove or move
        aside = project / SET_ASIDE / path
        aside.parent.mkdir(parents=True, exist_ok=True)
        aside.write_bytes(ours)
        if destination:
            target = project / destination
            merged, conflicted = merge_three_way(
                ours, base, target.read_bytes(), (f"yours ({path})", "template before", destination)
            )
            target.write_bytes(merged)
            release = releases.moved.get(path, ("", "a release"))[1]
            state = "conflicts marked there, resolve them" if conflicted else "merged cleanly"
            report.carried.append(
                f"{path}: moved to {destination} by {release}; your changes carried there"
                f" ({state}); yours as it was: {SET_ASIDE}/{path}"
            )
        else:
            why = "removed by this update (an option turned off, or a release deleted it)"
            if path in releases.removed:
                instead, release = releases.removed[path]
                why = f"deleted by {release}" + (f"; use {instead} instead" if instead else "")
            report.set_aside.append(f"{path}: {why}; yours: {SET_ASIDE}/{path}")
    return moved_modules


def _name_broken_imports(
    project: Path,
    removed: list[str],
    moved_modules: dict[str, str],
    report: Report,
) -> None:
    gone = [m for m in map(module_of, removed) if m and m not in moved_modules]
    # Forms the rewrite cannot follow (`from app.api import pagination`) still name a moved one.
    gone += list(moved_modules)
    for path in service_python_files(project):
        text = path.read_text(errors="replace")
        relative = path.relative_to(project).as_posix()
        for module in gone:
            for number, line in imports_of(module, text):
                report.broken_imports.append(f"{relative}:{number}: {line}  ({module} is gone)")


def _name_renamed_uses(project: Path, releases: Releases, report: Report) -> None:
    if not releases.renamed:
        return
    patterns = [
        (rename, re.compile(rf"\b{re.escape(rename['old'])}\b")) for rename in releases.renamed
    ]
    for path in service_python_files(project):
        relative = path.relative_to(project).as_posix()
        lines = path.read_text(errors="replace").splitlines()
        for rename, pattern in patterns:
            defined_in = rename["module"].replace(".", "/")
            if relative in {f"{defined_in}.py", f"{defined_in}/__init__.py"}:
                continue  # the alias itself
            report.renamed_uses += [
                f"{relative}:{number}: {rename['old']} is now {rename['new']}"
                f" ({rename['module']}, renamed in {rename['release']};"
                f" alias until {rename.get('alias_until', 'the next minor release')})"
                for number, line in enumerate(lines, 1)
                if pattern.search(line)
            ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--project", type=Path, default=Path.cwd())
    arguments = parser.parse_args(argv)
    report = keep_team_work(arguments.project.resolve(), arguments.template)
    print(report.render(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
