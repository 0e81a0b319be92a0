"""Write the service's next Alembic revision on the service's own branch.

    uv run scripts/new-migration.sh "add orders"          # autogenerate from app/models
    uv run scripts/new-migration.sh --empty "backfill"    # an empty revision to fill by hand

Migrations live on two branches that never fork each other. The template's revisions are in
alembic/template_versions/ (branch "template", replaced by `copier update`); the service's are in
alembic/versions/ (branch "service"). Because neither is the other's parent, a template release
that adds a revision gives Alembic a second head to apply, not a fork to merge; everything that
migrates upgrades to `heads`. A service revision depends on the template revisions its database
had when it was written: autogenerate compared the models against exactly that schema.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_VERSIONS = ROOT / "alembic" / "template_versions"
SERVICE_VERSIONS = ROOT / "alembic" / "versions"
SERVICE_BRANCH = "service"


class BranchError(RuntimeError):
    """A branch has more than one head: it forked, and someone must merge it first."""


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Revision files write one revision as a string and several as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _parents(script: Script) -> tuple[str, ...]:
    return _as_tuple(script.down_revision)


def branch_heads(scripts: ScriptDirectory, location: Path) -> list[str]:
    """The revisions in one version location that no other revision there builds on."""
    inside = [
        script
        for script in scripts.walk_revisions()
        if Path(script.path).parent.resolve() == location.resolve()
    ]
    built_on = {parent for script in inside for parent in _parents(script)}
    return sorted(script.revision for script in inside if script.revision not in built_on)


def single_head(scripts: ScriptDirectory, location: Path) -> str | None:
    heads = branch_heads(scripts, location)
    if len(heads) > 1:
        where = f"{location.parent.name}/{location.name}"
        raise BranchError(
            f"{where} has {len(heads)} heads ({', '.join(heads)}): merge them first, e.g."
            f" `uv run alembic merge -m 'merge' {' '.join(heads)}`"
        )
    return heads[0] if heads else None


def ancestors(scripts: ScriptDirectory, revisions: Iterable[str]) -> set[str]:
    """The revisions given and everything they build on or depend on, across branches."""
    seen: set[str] = set()
    pending = list(revisions)
    while pending:
        script = scripts.get_revision(pending.pop())
        if script is None or script.revision in seen:
            continue
        seen.add(script.revision)
        pending.extend(_parents(script))
        # Dependencies may be written as branch labels: get_revision resolves them.
        pending.extend(
            resolved.revision
            for dependency in _as_tuple(script.dependencies)
            if (resolved := scripts.get_revision(dependency)) is not None
        )
    return seen


def revision_arguments(scripts: ScriptDirectory) -> dict[str, str | None]:
    """Where the next service revision goes: its parent, its label, what it depends on."""
    template_head = single_head(scripts, TEMPLATE_VERSIONS)
    service_head = single_head(scripts, SERVICE_VERSIONS)
    known = ancestors(scripts, [service_head] if service_head else [])
    depends_on = template_head if template_head and template_head not in known else None
    return {
        "head": service_head or "base",
        "branch_label": None if service_head else SERVICE_BRANCH,
        "depends_on": depends_on,
    }


def alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("message", help='what the revision does, e.g. "add orders"')
    parser.add_argument(
        "--empty", action="store_true", help="write an empty revision instead of autogenerating"
    )
    arguments = parser.parse_args(argv)
    config = alembic_config()
    # Autogenerate compares the models with the database: it must have every revision first.
    command.upgrade(config, "heads")
    placement = revision_arguments(ScriptDirectory.from_config(config))
    command.revision(
        config,
        arguments.message,
        autogenerate=not arguments.empty,
        head=placement["head"] or "base",
        branch_label=placement["branch_label"],
        version_path=str(SERVICE_VERSIONS),
        depends_on=placement["depends_on"],
    )


if __name__ == "__main__":
    try:
        main()
    except BranchError as error:
        raise SystemExit(f"new-migration: {error}") from None
