"""`copier update` keeps every user change and applies every template change.

Each test works on a private git copy of the template with its own version tags, so nothing
depends on tags existing in this repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier.errors import UserMessageError

from tests.generated_suite import run_generated_suite
from tests.helpers import (
    ANSWERS_FILE,
    TEMPLATE_ROOT,
    UV,
    RenderedProject,
    assert_same_tree,
    project_environment,
    tree,
)
from tests.scenarios import ALL_ON, MINIMAL, feature_examples
from tests.template_repo import (
    CONFLICT_MARKERS,
    TemplateRepo,
    commit_all,
    copy_project,
    git,
    update_project,
)


@pytest.fixture
def template(tmp_path: Path) -> TemplateRepo:
    repo = TemplateRepo(tmp_path / "template-repo")
    repo.release("v1.0.0")
    return repo


# The settings the next version renames one of (the service's own accounts').
ACCOUNT_SETTINGS = "app/integrations/accounts/settings.py"


def release_next_version(template: TemplateRepo) -> None:
    """v1.1.0: a new file, an edited shared file, and a setting renamed through a migration."""
    template.rename_everywhere("ACCESS_TOKEN_EXPIRE_MINUTES", "ACCESS_TOKEN_TTL_MINUTES")
    (template.path / "template" / "docs").mkdir()
    (template.path / "template" / "docs" / "RUNBOOK.md").write_text("# Runbook\n")
    template.edit(
        "template/app/core/{% if 'accounts' in features %}tokens.py{% endif %}",
        lambda text: text.replace(
            '"""Access tokens, a verifier',
            '"""Access tokens (HS256), a verifier',
        ),
    )
    migrations = template.path / "migrations"
    migrations.mkdir(exist_ok=True)  # the template has migrations of its own
    (migrations / "v1_1_0.py").write_text(
        '"""Rename ACCESS_TOKEN_EXPIRE_MINUTES in the user-owned .env."""\n'
        "from pathlib import Path\n"
        'env = Path(".env")\n'
        "if env.exists():\n"
        '    env.write_text(env.read_text().replace("ACCESS_TOKEN_EXPIRE_MINUTES", '
        '"ACCESS_TOKEN_TTL_MINUTES"))\n'
    )
    template.edit(
        "copier.yml",
        lambda text: text.replace(
            "_migrations:\n",
            "_migrations:\n"
            "  - version: v1.1.0\n"
            '    command: ["{{ _copier_python }}", '
            '"{{ _copier_conf.src_path }}/migrations/v1_1_0.py"]\n',
            1,
        ),
    )
    template.release("v1.1.0")


USER_ROUTE = """from fastapi import APIRouter

from app.services.greeting_service import greeting

router = APIRouter(prefix="/greetings", tags=["greetings"])


@router.get("")
async def greet(name: str = "world") -> dict[str, str]:
    return {"message": greeting(name)}
"""

USER_SERVICE = """def greeting(name: str) -> str:
    return f"Hello, {name}!"
"""

USER_TEST = """from httpx import AsyncClient


async def test_greeting(client: AsyncClient) -> None:
    response = await client.get("/api/v1/greetings", params={"name": "Ada"})

    assert response.json() == {"message": "Hello, Ada!"}
"""


def add_user_changes(project: Path) -> None:
    """What a team does after generating: a route, a service, a test, config and README edits.

    The route module is served by being in app/api/routes/: no template-owned file is edited.
    """
    (project / "app/api/routes/greetings.py").write_text(USER_ROUTE)
    (project / "app/services/greeting_service.py").write_text(USER_SERVICE)
    (project / "tests/test_api/test_greetings.py").write_text(USER_TEST)
    routes = project / "tests/service_routes.py"
    routes.write_text(
        routes.read_text().replace(
            "SERVICE_ACCESS: dict[str, str] = {}",
            'SERVICE_ACCESS = {"GET /api/v1/greetings": PUBLIC}',
        )
    )
    config = project / "app/core/config.py"
    config.write_text(
        config.read_text().replace(
            "    HSTS_ENABLED: bool = False\n",
            '    HSTS_ENABLED: bool = False\n    GREETING_STYLE: str = "friendly"\n',
            1,
        )
    )
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Team notes\n\nOwned by the payments team.\n")
    (project / ".env").write_text("ACCESS_TOKEN_EXPIRE_MINUTES=45\n")
    commit_all(project, "user changes")


def test_update_keeps_user_changes_and_applies_template_changes(
    template: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    add_user_changes(project)
    touched_by_user = {"app/core/config.py", "README.md"}
    release_next_version(template)
    capfd.readouterr()

    update_project(project, "v1.1.0")

    assert "copier update: no conflicts." in capfd.readouterr().err

    # The user's work is all there.
    assert (project / "app/api/routes/greetings.py").read_text() == USER_ROUTE
    assert (project / "app/services/greeting_service.py").read_text() == USER_SERVICE
    assert (project / "tests/test_api/test_greetings.py").read_text() == USER_TEST
    config = (project / "app/core/config.py").read_text()
    assert 'GREETING_STYLE: str = "friendly"' in config
    assert "Owned by the payments team." in (project / "README.md").read_text()
    # The template's changes are all there, the renamed setting included.
    assert (project / "docs/RUNBOOK.md").read_text() == "# Runbook\n"
    tokens_module = (project / "app/core/tokens.py").read_text()
    assert "Access tokens (HS256), a verifier" in tokens_module
    account_settings = (project / ACCOUNT_SETTINGS).read_text()
    assert "ACCESS_TOKEN_TTL_MINUTES" in account_settings
    assert "ACCESS_TOKEN_EXPIRE_MINUTES" not in account_settings
    assert "ACCESS_TOKEN_TTL_MINUTES" in (project / "app/services/auth_service.py").read_text()
    # The user-owned .env was migrated, not overwritten.
    assert (project / ".env").read_text() == "ACCESS_TOKEN_TTL_MINUTES=45\n"
    assert "_commit: v1.1.0" in (project / ANSWERS_FILE).read_text()
    # Nothing was left half-merged.
    conflicted = [
        name
        for name, content in tree(project).items()
        if CONFLICT_MARKERS.search(content.decode(errors="replace"))
    ]
    assert conflicted == [], (conflicted, touched_by_user)


@pytest.mark.deep
def test_updated_project_with_user_changes_passes_its_suite(
    template: TemplateRepo, tmp_path: Path, redis_url: str
) -> None:
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    add_user_changes(project)
    release_next_version(template)
    update_project(project, "v1.1.0")
    rendered = RenderedProject(project, MINIMAL)
    rendered.sync()

    rendered.uv("run", "ruff", "check", ".").check()
    rendered.uv("run", "mypy").check()
    # The everyday suite: the slow proofs are the all-off deep scenario's, and none of them
    # concerns the team's route or the renamed setting.
    suite = run_generated_suite(rendered, redis_url, "-m", "not slow")
    assert any("test_greetings" in test for test in suite.passed), sorted(suite.passed)


@pytest.mark.parametrize("answers", [MINIMAL, {}, ALL_ON], ids=["all-off", "default", "all-on"])
def test_untouched_project_updates_to_exactly_a_fresh_render(
    template: TemplateRepo, tmp_path: Path, answers: dict[str, Any]
) -> None:
    project = copy_project(template, tmp_path / "project", answers, "v1.0.0")
    release_next_version(template)

    update_project(project, "v1.1.0")
    fresh = copy_project(template, tmp_path / "fresh", answers, "v1.1.0")

    assert_same_tree(project, fresh)


def toggles(examples: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Answer changes on top of all-off that turn every feature's example on and off, two
    examples per change: an example another one contains is left out (its files come and go
    with the larger one's), and the rest are paired in name order where their answers agree.
    Each change costs about as much as the next (Copier's fixed cost per update dominates)."""
    kept = sorted(
        name
        for name, example in examples.items()
        if not any(
            other != name and example.items() < examples[other].items() for other in examples
        )
    )
    changes: dict[str, dict[str, Any]] = {}
    while kept:
        first = kept.pop(0)
        change = dict(examples[first])
        partner = next(
            (
                name
                for name in kept
                if all(change.get(key, value) == value for key, value in examples[name].items())
            ),
            None,
        )
        if partner is not None:
            kept.remove(partner)
            change.update(examples[partner])
        changes["+".join(filter(None, (first, partner)))] = change
    return changes


# From the feature table (options that need Redis bring it along).
TOGGLES: dict[str, dict[str, Any]] = toggles(feature_examples())


def test_the_toggles_turn_every_features_example_on() -> None:
    examples = feature_examples()
    for name, example in examples.items():
        assert any(example.items() <= change.items() for change in TOGGLES.values()), name
    assert len(TOGGLES) <= (len(examples) + 1) // 2


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """v1.0.0 of the template, for tests that only copy and update from it (never changed)."""
    repo = TemplateRepo(tmp_path_factory.mktemp("released") / "template-repo")
    repo.release("v1.0.0")
    return repo


@pytest.fixture(scope="module")
def all_off_reference(released: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(released, tmp_path_factory.mktemp("all-off") / "project", MINIMAL, "v1.0.0")


TEAM_NOTE = "\n# changed by the team\n"
SET_ASIDE = ".template-set-aside"


@pytest.mark.parametrize("toggle", sorted(TOGGLES))
def test_turning_options_on_and_off_adds_their_content_and_sets_aside_what_the_team_changed(
    released: TemplateRepo,
    all_off_reference: Path,
    tmp_path: Path,
    toggle: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """On: exactly a fresh render. The team then changes every file the options own; off: the
    tree is the all-off render again, plus each changed file set aside (named in the output) with
    the team's content."""
    change = TOGGLES[toggle]
    # The all-off render, committed, copied rather than rendered again.
    project = Path(shutil.copytree(all_off_reference, tmp_path / "project", symlinks=True))

    update_project(project, "v1.0.0", change)
    fresh = copy_project(released, tmp_path / "fresh", {**MINIMAL, **change}, "v1.0.0")
    assert_same_tree(project, fresh)
    owned = sorted(set(tree(project)) - set(tree(all_off_reference)))
    assert owned, f"{toggle} own no file"
    for name in owned:
        with (project / name).open("a") as edited:
            edited.write(TEAM_NOTE)
    commit_all(project, f"turn on {toggle} and change its files")

    capfd.readouterr()
    update_project(project, "v1.0.0", {key: MINIMAL[key] for key in change})
    printed = capfd.readouterr().err

    set_aside = tree(project / SET_ASIDE)
    shutil.rmtree(project / SET_ASIDE)
    assert_same_tree(project, all_off_reference)
    assert sorted(set_aside) == owned
    for name in owned:
        assert set_aside[name] == (fresh / name).read_bytes() + TEAM_NOTE.encode(), name
        assert f"  {name}: removed by this update" in printed, name
    assert f"removed or moved {len(owned)} file(s) you had changed" in printed


def test_all_options_turned_on_then_off_leave_exactly_fresh_renders(
    released: TemplateRepo, all_off_reference: Path, tmp_path: Path
) -> None:
    """The trees equal fresh all-on and all-off renders, whose suites, lint and types the deep
    scenarios and the matrix prove: so the updated service's suite passes too."""
    project = Path(shutil.copytree(all_off_reference, tmp_path / "project", symlinks=True))
    update_project(project, "v1.0.0", ALL_ON)
    assert_same_tree(project, copy_project(released, tmp_path / "all-on", ALL_ON, "v1.0.0"))
    commit_all(project, "all on")

    update_project(project, "v1.0.0", MINIMAL)
    assert_same_tree(project, all_off_reference)


def test_conflicting_edit_leaves_markers_that_are_listed_and_the_pre_commit_hook_refuses(
    template: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    config = project / ACCOUNT_SETTINGS
    config.write_text(
        config.read_text().replace(
            "ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(\n        default=15,",
            "ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(\n        default=60,",
        )
    )
    commit_all(project, "longer tokens")
    release_next_version(template)

    capfd.readouterr()
    update_project(project, "v1.1.0")

    # The update names the file last (migrations/conflicts.py), and the documented one-liner too.
    printed = capfd.readouterr().err
    assert "copier update left conflicts in 1 file(s)" in printed
    assert f"\n  {ACCOUNT_SETTINGS}\n" in printed
    assert git(project, "diff", "--name-only", "--diff-filter=U").split() == [ACCOUNT_SETTINGS]
    assert CONFLICT_MARKERS.search(config.read_text())
    others = [
        name
        for name, content in tree(project).items()
        if name != ACCOUNT_SETTINGS and CONFLICT_MARKERS.search(content.decode(errors="replace"))
    ]
    assert others == []
    hook = subprocess.run(
        ["pre-commit", "run", "check-merge-conflict", "--files", ACCOUNT_SETTINGS],
        cwd=project,
        env={
            **project_environment(),
            "PATH": f"{Path(UV).parent}{os.pathsep}{os.environ['PATH']}",
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode == 1, hook.stdout + hook.stderr
    assert "Merge conflict string" in hook.stdout


def _snapshot(project: Path) -> tuple[str, dict[str, bytes]]:
    return git(project, "rev-parse", "HEAD"), tree(project)


def test_updating_a_dirty_repository_is_refused_and_changes_nothing(
    template: TemplateRepo, tmp_path: Path
) -> None:
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    release_next_version(template)
    (project / "README.md").write_text("work in progress\n")
    before = _snapshot(project)

    with pytest.raises(UserMessageError, match="Destination repository is dirty"):
        update_project(project, "v1.1.0")

    assert _snapshot(project) == before


def test_updating_without_an_answers_file_is_refused_and_changes_nothing(
    template: TemplateRepo, tmp_path: Path
) -> None:
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    (project / ANSWERS_FILE).unlink()
    commit_all(project, "lose the answers")
    release_next_version(template)
    before = _snapshot(project)

    with pytest.raises(UserMessageError, match=r"cannot obtain old template references"):
        update_project(project, "v1.1.0")

    assert _snapshot(project) == before


def test_updating_to_an_unknown_ref_is_refused_and_changes_nothing(
    template: TemplateRepo, tmp_path: Path
) -> None:
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    before = _snapshot(project)

    with pytest.raises(ValueError, match=re.escape("Unknown revision: 'v9.9.9'")):
        update_project(project, "v9.9.9")

    assert _snapshot(project) == before


TEAM_HELPER = """from app.api import pagination
from app.api.pagination import PageRequestDep
from app.core.legacy import LEGACY_LIMIT

__all__ = ["LEGACY_LIMIT", "PageRequestDep", "pagination"]
"""


RENAMED_ALIAS_IMPORT = """from fastapi import Depends, Query

from app.core.deprecation import renamed_names"""
RENAMED_ALIAS = """

if TYPE_CHECKING:
    PageRequestDep = PageParamsDep
else:
    __getattr__ = renamed_names(__name__, {"PageRequestDep": "PageParamsDep"})
"""
NOTES = """## Unreleased

## v1.1.0

### Upgrading
- `app/api/pagination.py` is `app/api/paging.py` now, and `PageRequestDep` is `PageParamsDep`
  (the old name works until v1.2.0)."""


def test_a_release_that_moves_and_deletes_changed_files_carries_and_names_them(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """v1.1.0 moves `app/api/pagination.py` (changed by the template and by the team) to
    `app/api/paging.py`, renames `PageRequestDep` there (alias kept) and deletes
    `app/core/legacy.py`, all declared in migrations/releases.yml: the team's change is merged
    into the new path, its dotted imports follow the move, what cannot follow and each use of
    the old name are named path:line, and the release's upgrading note is printed and kept."""
    template = TemplateRepo(tmp_path / "template-repo")
    (template.path / "template/app/core/legacy.py").write_text("LEGACY_LIMIT = 10\n")
    template.release("v1.0.0")
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    pagination = project / "app/api/pagination.py"
    pagination.write_text(
        pagination.read_text().replace(
            "MAX_OFFSET = 1_000_000\n", "MAX_OFFSET = 1_000_000\nTEAM_PAGE_SIZE = 25\n"
        )
    )
    (project / "app/services/team_helper.py").write_text(TEAM_HELPER)
    commit_all(project, "the team's changes")

    git(template.path, "mv", "template/app/api/pagination.py", "template/app/api/paging.py")
    template.rename_everywhere("app.api.pagination", "app.api.paging")
    template.edit(
        "template/app/api/paging.py",
        lambda text: text.replace("DEFAULT_PAGE_SIZE = 20", "DEFAULT_PAGE_SIZE = 30"),
    )
    template.edit(
        "template/app/api/paging.py",
        lambda text: (
            text.replace("PageRequestDep", "PageParamsDep")
            .replace("from typing import Annotated", "from typing import TYPE_CHECKING, Annotated")
            .replace("from fastapi import Depends, Query", RENAMED_ALIAS_IMPORT)
            + RENAMED_ALIAS
        ),
    )
    for route in ("users", "items"):
        template.edit(
            f"template/app/api/routes/{route}.py",
            lambda text: text.replace("PageRequestDep", "PageParamsDep"),
        )
    template.edit("CHANGELOG.md", lambda text: text.replace("## Unreleased", NOTES, 1))
    git(template.path, "rm", "-q", "template/app/core/legacy.py")
    template.edit(
        "migrations/releases.yml",
        lambda text: (
            text.replace(
                "\nmoved: []",
                "\nmoved:\n  - {release: v1.1.0, from: app/api/pagination.py,"
                " to: app/api/paging.py}",
            )
            .replace(
                "\nremoved: []",
                "\nremoved:\n  - {release: v1.1.0, path: app/core/legacy.py,"
                " instead: MAX_PAGE_SIZE}",
            )
            .replace(
                "\nrenamed: []",
                "\nrenamed:\n  - {release: v1.1.0, module: app.api.paging, old: PageRequestDep,"
                " new: PageParamsDep, alias_until: v1.2.0}",
            )
        ),
    )
    template.release("v1.1.0")

    capfd.readouterr()
    update_project(project, "v1.1.0")
    printed = capfd.readouterr().err

    assert not pagination.exists()
    paging = (project / "app/api/paging.py").read_text()
    assert "DEFAULT_PAGE_SIZE = 30" in paging
    assert "TEAM_PAGE_SIZE = 25" in paging
    kept = (project / SET_ASIDE / "app/api/pagination.py").read_text()
    assert "TEAM_PAGE_SIZE = 25\n" in kept
    assert not (project / SET_ASIDE / "app/core/legacy.py").exists()  # unchanged: nothing to keep
    helper = (project / "app/services/team_helper.py").read_text()
    assert "from app.api.paging import PageRequestDep" in helper
    assert (
        "app/api/pagination.py: moved to app/api/paging.py by v1.1.0; your changes carried there"
        " (merged cleanly)" in printed
    )
    assert "Imports of moved modules rewritten in: app/services/team_helper.py" in printed
    assert "app/services/team_helper.py:1: from app.api import pagination" in printed
    assert "app/services/team_helper.py:3: from app.core.legacy import LEGACY_LIMIT" in printed
    assert (
        "app/services/team_helper.py:2: PageRequestDep is now PageParamsDep (app.api.paging,"
        " renamed in v1.1.0; alias until v1.2.0)" in printed
    )
    assert "- `app/api/pagination.py` is `app/api/paging.py` now" in printed
    upgrading = (project / "UPGRADING.md").read_text()
    assert "v1.0.0 → v1.1.0" in upgrading
    assert "### v1.1.0\n\n- `app/api/pagination.py` is `app/api/paging.py` now" in upgrading
    assert "copier update: no conflicts." in printed


TEAM_OWNED = (
    "app/core/service_settings.py",
    "app/bootstrap/service_wiring.py",
    "tests/service_routes.py",
)


def test_the_services_own_extension_files_are_rendered_always_and_never_touched_again(
    tmp_path: Path,
) -> None:
    """Rendered with every option set (an option's file would be deleted when it is turned
    off), and kept as the service wrote them even by a release that changes them."""
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    assert set(TEAM_OWNED) <= set(spec["_skip_if_exists"])
    for name in TEAM_OWNED:
        assert (TEMPLATE_ROOT / "template" / name).is_file(), name

    template = TemplateRepo(tmp_path / "template-repo")
    template.release("v1.0.0")
    project = copy_project(template, tmp_path / "project", MINIMAL, "v1.0.0")
    for name in TEAM_OWNED:
        (project / name).write_text(f'"""The team\'s {name}."""\n')
    commit_all(project, "the team's settings and wiring")
    for name in TEAM_OWNED:
        template.edit(f"template/{name}", lambda text: text.replace('"""', '"""Changed. ', 1))
    template.release("v1.1.0")

    update_project(project, "v1.1.0")

    for name in TEAM_OWNED:
        assert (project / name).read_text() == f'"""The team\'s {name}."""\n'
    assert git(project, "status", "--porcelain", "--", *TEAM_OWNED) == ""


def test_an_untagged_template_commit_carries_moves_and_prints_the_notes_since_the_recorded_one(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """No tag anywhere (Copier's dev versions): the move still applies, and the notes are the
    "Upgrading" items added since the commit the service recorded."""
    template = TemplateRepo(tmp_path / "template-repo")  # committed, never tagged
    project = copy_project(template, tmp_path / "project", MINIMAL, "HEAD")
    pagination = project / "app/api/pagination.py"
    pagination.write_text(pagination.read_text() + "\nTEAM_PAGE_SIZE = 25\n")
    commit_all(project, "the team's change")
    git(template.path, "mv", "template/app/api/pagination.py", "template/app/api/paging.py")
    template.rename_everywhere("app.api.pagination", "app.api.paging")
    template.edit(
        "migrations/releases.yml",
        lambda text: text.replace(
            "\nmoved: []",
            "\nmoved:\n  - {release: unreleased, from: app/api/pagination.py,"
            " to: app/api/paging.py}",
        ),
    )
    template.edit(
        "CHANGELOG.md",
        lambda text: text.replace(
            "## Unreleased\n", "## Unreleased\n\n### Upgrading\n- Pagination is paging now.\n", 1
        ),
    )
    commit_all(template.path, "an untagged change")

    capfd.readouterr()
    update_project(project, "HEAD")
    printed = capfd.readouterr().err

    assert "TEAM_PAGE_SIZE = 25" in (project / "app/api/paging.py").read_text()
    assert "your changes carried there (merged cleanly)" in printed
    assert "- Pagination is paging now." in printed
    notes = printed.split("Upgrading notes (kept in UPGRADING.md):")[1].split("copier update")[0]
    assert notes.count("\n- ") == 1, notes  # only the item added since the recorded commit
