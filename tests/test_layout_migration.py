"""The issue-14 re-rooming migration (migrations/rooms.py) and `copier update` across it.

Unit tests drive the import rewriter on sample sources and the whole script on small git
repositories. The update tests build a private template repository whose first commit is this
repository's last commit before the move (0affca9, untagged, as every render made so far is) and
whose second is the working tree with the `_migrations` entry, tagged with its version; a project
rendered from the first, with a user's module, test and edit of a moved module, is updated to the
second.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.helpers import (
    ANSWERS_FILE,
    TEMPLATE_ROOT,
    RenderedProject,
    extract_commit,
    render,
    tree,
)
from tests.scenarios import ALL_ON, MINIMAL
from tests.test_update import (
    CONFLICT_MARKERS,
    TemplateRepo,
    commit_all,
    copy_project,
    git,
    update_project,
)

MIGRATION = TEMPLATE_ROOT / "migrations" / "rooms.py"
# The last commit of the old layout: every service generated before issue 14 came from it or
# from an earlier commit, none of them tagged.
OLD_LAYOUT = "0affca9"


def _load_rooms() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rooms_migration", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


rooms = _load_rooms()


def rewrite(source: str, package: str = "app.services") -> str:
    text: str = rooms.rewrite_source(textwrap.dedent(source), package).text
    return text


# --- the rewriter on sample sources --------------------------------------------------------------


def test_a_from_import_mixing_names_that_stay_and_names_that_move_is_split() -> None:
    source = """\
        from app.core.config import Settings, get_settings
        from app.middleware.error_handler import UnhandledErrorMiddleware, error_response
        """

    assert rewrite(source) == textwrap.dedent("""\
        from app.bootstrap.settings import get_settings
        from app.core.config import Settings
        from app.core.errors import error_response
        from app.middleware.error_handler import UnhandledErrorMiddleware
        """)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "from app.core.redis_client import redis_key",
            "from app.integrations.redis import redis_key",
        ),
        (
            "from app.middleware.error_handler import error_response",
            "from app.core.errors import error_response",
        ),
        ("from app.api import API_V1_PREFIX", "from app.core.config import API_V1_PREFIX"),
        (
            "from app.core.config import get_settings",
            "from app.bootstrap.settings import get_settings",
        ),
        (
            "from app.core.dependencies import get_db_session",
            "from app.api.deps import get_db_session",
        ),
        ("from app.worker.tasks import ping", "from app.integrations.worker.tasks import ping"),
        ("from app.worker import broker", "from app.integrations.worker import broker"),
        ("from app import worker", "from app.integrations import worker"),
        (
            "from app.schemas.error import ErrorResponse",
            "from app.schemas.error import ErrorResponse",
        ),
        ("from app.core.lifespan import LifespanHook", "from app.core.hooks import LifespanHook"),
        ("from app.models import User", "from app.models.user import User"),
        (
            "from app.api.routes.health import router",
            "from app.api.health import router",
        ),
        ("from app.core.lifespan import lifespan", "from app.bootstrap.lifespan import lifespan"),
        (
            "from app.middleware.rate_limit_storage import storage",
            "from app.integrations.rate_limit_storage import storage",
        ),
        ("import app.core.cache", "import app.integrations.cache"),
        ("import app.worker.broker as broker", "import app.integrations.worker.broker as broker"),
    ],
)
def test_each_move_of_the_issue(old: str, new: str) -> None:
    assert rewrite(old + "\n") == new + "\n"


def test_aliases_are_kept_and_a_renamed_module_keeps_its_old_local_name() -> None:
    source = """\
        from app.core import dependencies, redis_client
        from app.core import sentry as error_tracking
        from app.core.config import get_settings as load_settings
        from app.schemas import error
        """

    assert rewrite(source) == textwrap.dedent("""\
        from app.api import deps as dependencies
        from app.bootstrap.settings import get_settings as load_settings
        from app.integrations import redis as redis_client
        from app.integrations import sentry as error_tracking
        from app.schemas import error
        """)


def test_multi_line_parenthesized_imports_are_rewrapped_and_merged() -> None:
    source = """\
        from app.api import (
            API_V1_PREFIX,
        )
        from app.core.config import (
            Settings,
        )
        from app.core.dependencies import (
            get_app_settings,
            get_db_session,
            get_health_checks,
            get_identity_service,
            get_password_hasher,
            get_row_reader,
        )
        """

    assert rewrite(source) == textwrap.dedent("""\
        from app.api.deps import (
            get_app_settings,
            get_db_session,
            get_health_checks,
            get_identity_service,
            get_password_hasher,
            get_row_reader,
        )
        from app.core.config import API_V1_PREFIX, Settings
        """)


def test_indented_imports_and_trailing_comments_are_kept() -> None:
    source = """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from app.core.cache import Cache  # only for annotations
            from app.core.config import Settings


        def build() -> None:
            from app.worker.client import enqueue

            enqueue()
        """

    assert rewrite(source) == textwrap.dedent("""\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from app.core.config import Settings
            from app.integrations.cache import Cache  # only for annotations


        def build() -> None:
            from app.integrations.worker.client import enqueue

            enqueue()
        """)


def test_relative_imports_of_moved_modules_become_absolute() -> None:
    source = """\
        from . import cache
        from .config import Settings, get_settings
        from .security import PasswordHasher
        """

    assert rewrite(source, package="app.core") == textwrap.dedent("""\
        from app.integrations import cache
        from app.bootstrap.settings import get_settings
        from .config import Settings
        from .security import PasswordHasher
        """)


def test_plain_imports_rewrite_their_references_and_import_what_they_now_need() -> None:
    source = """\
        import app.core.cache
        import app.core.config


        def settings() -> tuple[object, ...]:
            return app.core.config.get_settings(), app.core.cache.Cache
        """

    assert rewrite(source) == textwrap.dedent("""\
        import app.bootstrap.settings
        import app.core.config
        import app.integrations.cache


        def settings() -> tuple[object, ...]:
            return app.bootstrap.settings.get_settings(), app.integrations.cache.Cache
        """)


def test_patch_targets_and_entry_points_in_strings_follow_the_move() -> None:
    source = """\
        from unittest import mock

        PATCHED = mock.patch("app.core.config.get_settings")
        WORKER = "app.worker.broker:broker"
        ERRORS = 'app.middleware.error_handler.error_response'
        KEPT = ("app.main:app", "app.core.config.Settings", "see app.core.cache for details")
        """

    assert rewrite(source) == textwrap.dedent("""\
        from unittest import mock

        PATCHED = mock.patch("app.bootstrap.settings.get_settings")
        WORKER = "app.integrations.worker.broker:broker"
        ERRORS = 'app.core.errors.error_response'
        KEPT = ("app.main:app", "app.core.config.Settings", "see app.core.cache for details")
        """)


UNTOUCHED = [
    '"""Mentions app.core.config and app.worker in prose only."""\n\n'
    "from app.core.config import Settings\nfrom app.db.session import session_scope\n",
    "import os\r\nfrom app.api.deps import SessionDep  # noqa: F401\r\n\r\nx = 'app.core'\r\n",
    "from app.core.security import (PasswordHasher,\n    AccessTokenVerifier)\n",
    "# app.core.cache in a comment\nimport app.main\n\napp.main.app.state.x = 1\n",
    "",
    "x = 1",
]


@pytest.mark.parametrize("source", UNTOUCHED)
def test_sources_without_old_paths_stay_byte_identical(source: str) -> None:
    assert rooms.rewrite_source(source, "app.services").text == source


IDEMPOTENT = [
    "from app.core.config import Settings, get_settings\n",
    "from app.core import dependencies, redis_client\nfrom app.api import API_V1_PREFIX, deps\n",
    "import app.core.config\n\nprint(app.core.config.get_settings())\n",
    "from app.core.dependencies import (\n    get_app_settings,\n    get_db_session,\n"
    "    get_health_checks,\n    get_identity_service,\n    get_password_hasher,\n)\n",
    "import os; from app.worker import tasks\r\n",
]


@pytest.mark.parametrize("source", IDEMPOTENT)
def test_rewriting_twice_changes_nothing_more(source: str) -> None:
    once = rooms.rewrite_source(source, "app.services").text

    assert once != source
    assert rooms.rewrite_source(once, "app.services").text == once


def test_names_that_are_gone_are_reported() -> None:
    result = rooms.rewrite_source(
        "from app.core.redis_client import get_redis\n"
        "from app.db.session import create_read_session_factory\n"
        "from app.api.deps import ReadSessionDep\n"
        "from app.core import config\n\nconfig.get_settings()\n",
        "app.services",
        "app/services/x.py",
    )

    assert [warning.split(":")[1] for warning in result.warnings] == ["1", "2", "3", "6"]
    assert "get_redis no longer exists" in result.warnings[0]
    assert "config.get_settings: get_settings moved from app.core.config" in result.warnings[3]


def test_a_line_a_longer_path_pushes_past_the_limit_is_reported() -> None:
    source = "from unittest import mock\n\n" + f"TARGET = mock.patch({'app.worker.tasks:send'!r})"
    source += "  # " + "x" * (100 - len(source.splitlines()[-1]) - 4) + "\n"
    assert len(source.splitlines()[-1]) == 100

    result = rooms.rewrite_source(source, "tests", "tests/test_x.py")

    assert result.warnings == ["tests/test_x.py:3: now 113 characters long (limit 100)"]


RUFF_CONFIG = """\
[tool.ruff]
line-length = 100
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I"]
ignore = ["F401"]

[tool.ruff.lint.isort]
known-third-party = ["alembic"]
known-first-party = ["app", "tests"]  # found from the folders in a real project
"""

# Sorted and wrapped as ruff wants them in the old layout.
RUFF_CLEAN_BEFORE = {
    "app/services/report.py": """\
        \"\"\"A user's service.\"\"\"

        from __future__ import annotations

        import logging

        from fastapi.responses import JSONResponse

        from app.api import API_V1_PREFIX
        from app.core.cache import Cache
        from app.core.config import Settings, get_settings
        from app.core.security import PasswordHasher
        from app.middleware.error_handler import UnhandledErrorMiddleware, error_response
        from app.schemas.error import ErrorResponse
        from app.worker.client import enqueue

        logger = logging.getLogger(__name__)
        """,
    "app/api/routes/things.py": """\
        from fastapi import APIRouter

        from app.api.deps import SessionDep
        from app.core.dependencies import (
            get_app_settings,
            get_db_session,
            get_health_checks,
            get_identity_service,
            get_password_hasher,
            get_row_reader,
        )
        from app.core.lifespan import LifespanHook, freeze_startup_objects
        from app.core.redis_client import redis_key

        router = APIRouter()
        """,
    "tests/test_things.py": """\
        import app.core.config
        import app.core.metrics
        from app.core import redis_client, sentry
        from tests.support import make_user


        def test_it() -> None:
            assert app.core.config.get_settings()
            assert app.core.metrics
        """,
}


def test_rewritten_files_are_still_sorted_and_wrapped_as_ruff_wants(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(RUFF_CONFIG)
    for name, source in RUFF_CLEAN_BEFORE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(source))
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "."]
    before = subprocess.run(ruff, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert before.returncode == 0, before.stdout

    changed = rooms.rewrite_project(tmp_path, rooms.Report(lambda _line: None))

    assert sorted(changed) == sorted(RUFF_CLEAN_BEFORE)
    after = subprocess.run(ruff, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert after.returncode == 0, after.stdout + "".join(
        (tmp_path / name).read_text() for name in RUFF_CLEAN_BEFORE
    )


# --- the table against the two layouts -----------------------------------------------------------


def _module_path(root: Path, module: str) -> Path:
    base = root / module.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _defined_names(path: Path) -> set[str]:
    """Names a module defines at its top level (what it imports excluded)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def test_every_old_module_of_the_table_existed_before_the_move() -> None:
    history = rooms.TemplateHistory.open(TEMPLATE_ROOT, OLD_LAYOUT)
    if history is None:
        pytest.fail(f"commit {OLD_LAYOUT} is not in this clone: a full clone is needed")
    rendered = set(history.sources)
    olds = [*rooms.MODULE_MOVES, *rooms.NAME_MOVES]

    missing = [
        old
        for old in olds
        if rooms.path_of(old, package=False) not in rendered
        and rooms.path_of(old, package=True) not in rendered
    ]

    assert missing == []


def test_every_new_home_of_the_table_exists_in_an_all_on_render(tmp_path: Path) -> None:
    project = render(tmp_path, ALL_ON).path
    missing = [
        f"module {new}"
        for new in rooms.MODULE_MOVES.values()
        if not _module_path(project, new).is_file()
    ]
    missing += [
        f"module {old} still rendered"
        for old in rooms.MODULE_MOVES
        if _module_path(project, old).is_file()
    ]
    for old, names in rooms.NAME_MOVES.items():
        old_path = _module_path(project, old)
        for name, new in names.items():
            new_path = _module_path(project, new)
            if not new_path.is_file() or name not in _defined_names(new_path):
                missing.append(f"{name} in {new}")
            if old_path.is_file() and name in _defined_names(old_path):
                missing.append(f"{name} still in {old}")

    assert missing == []


# --- the whole script on small repositories ------------------------------------------------------

OLD_CACHE = """\
\"\"\"Response cache.\"\"\"

from app.core.redis_client import redis_key


def cache_key(name: str) -> str:
    return redis_key("cache", name)
"""
NEW_CACHE = """\
\"\"\"Response cache, with its settings.\"\"\"

from app.integrations.redis import RedisSettings, redis_key


class CacheSettings(RedisSettings):
    CACHE_ENABLED: bool = True


def cache_key(name: str) -> str:
    return redis_key("cache", name)
"""
OLD_DEPENDENCIES = "async def get_app_settings() -> None:\n    return None\n"
GUNICORN = "workers = 2\nbind = '0.0.0.0:8000'\ntimeout = 30\n"


def _run(cwd: Path, *args: str) -> None:
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


@pytest.fixture
def old_template(tmp_path: Path) -> tuple[Path, str]:
    """A template repository whose only commit ships the old cache and dependency modules."""
    repo = tmp_path / "template-repo"
    _write(
        repo,
        {
            "template/app/core/{% if 'cache' in features %}cache.py{% endif %}": OLD_CACHE,
            "template/app/core/dependencies.py": OLD_DEPENDENCIES,
            "template/app/core/gunicorn_conf.py.jinja": "workers = {{ workers }}\n",
        },
    )
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "old layout")
    return repo, git(repo, "rev-parse", "--short", "HEAD").strip()


def _updated_project(tmp_path: Path, user_edits: dict[str, str]) -> Path:
    """A project rendered from the old template, edited and committed by its user, then updated
    the way Copier does it: files of the old render deleted, the new render written."""
    project = tmp_path / "project"
    rendered = {
        "app/core/cache.py": OLD_CACHE,
        "app/core/dependencies.py": OLD_DEPENDENCIES,
        "app/core/gunicorn_conf.py": GUNICORN,
        "app/services/user_service.py": "from app.core.cache import cache_key\n",
        "docs/retired.md": "as rendered\n",
        ANSWERS_FILE: "_commit: old\n",
    }
    _write(project, rendered)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generate")
    _write(project, user_edits)
    commit_all(project, "user changes")
    for old in ("app/core/cache.py", "app/core/dependencies.py", "app/core/gunicorn_conf.py"):
        (project / old).unlink()
    _write(
        project,
        {
            "app/integrations/cache.py": NEW_CACHE,
            "app/api/deps.py": "async def get_app_settings() -> None: ...\n",
            "app/bootstrap/gunicorn_conf.py": GUNICORN + "threads = 1\n",
            "app/services/user_service.py": "from app.integrations.cache import cache_key\n",
        },
    )
    return project


def _migrate(project: Path, template: Path, version_from: str) -> list[str]:
    lines: list[str] = []
    rooms.migrate(project, template, version_from, lines.append)
    return lines


def test_an_edited_moved_module_is_merged_into_its_new_home(
    tmp_path: Path, old_template: tuple[Path, str]
) -> None:
    user_cache = OLD_CACHE.replace(
        'return redis_key("cache", name)', 'return redis_key("cache", name.lower())'
    )
    project = _updated_project(tmp_path, {"app/core/cache.py": user_cache})

    lines = _migrate(project, *old_template)

    assert (project / "app/integrations/cache.py").read_text() == NEW_CACHE.replace(
        'return redis_key("cache", name)', 'return redis_key("cache", name.lower())'
    )
    assert lines == [
        "rooms: app/core/cache.py -> app/integrations/cache.py: your changes carried over"
    ]
    assert not (project / "app/core/cache.py").exists()
    # Nothing left to do: a second run changes nothing and says nothing.
    before = tree(project)
    assert _migrate(project, *old_template) == []
    assert tree(project) == before


def test_a_conflicting_edit_gets_copiers_conflict_markers_and_a_warning(
    tmp_path: Path, old_template: tuple[Path, str]
) -> None:
    user_cache = OLD_CACHE.replace('"""Response cache."""', '"""Our response cache."""')
    project = _updated_project(tmp_path, {"app/core/cache.py": user_cache})

    lines = _migrate(project, *old_template)

    merged = (project / "app/integrations/cache.py").read_text()
    assert '<<<<<<< before updating\n"""Our response cache."""' in merged
    assert '=======\n"""Response cache, with its settings."""\n>>>>>>> after updating' in merged
    assert lines[0].startswith("rooms: WARNING app/core/cache.py -> app/integrations/cache.py")
    assert "1 conflict(s)" in lines[0]


def test_an_edit_to_a_module_merged_into_another_is_shown_not_merged(
    tmp_path: Path, old_template: tuple[Path, str]
) -> None:
    project = _updated_project(
        tmp_path, {"app/core/dependencies.py": OLD_DEPENDENCIES + "\n\nTIMEOUT = 3\n"}
    )

    lines = _migrate(project, *old_template)

    deps = (project / "app/api/deps.py").read_text()
    assert deps == "async def get_app_settings() -> None: ...\n"
    assert lines[0].startswith(
        "rooms: WARNING app/core/dependencies.py was merged into app/api/deps.py"
    )
    assert "    +TIMEOUT = 3" in lines[0]


def test_a_rendered_jinja_module_is_compared_with_the_last_render(
    tmp_path: Path, old_template: tuple[Path, str]
) -> None:
    ours = GUNICORN.replace("workers = 2", "workers = 4")
    project = _updated_project(tmp_path, {"app/core/gunicorn_conf.py": ours})

    lines = _migrate(project, *old_template)

    assert (project / "app/bootstrap/gunicorn_conf.py").read_text() == ours + "threads = 1\n"
    assert lines == [
        "rooms: app/core/gunicorn_conf.py -> app/bootstrap/gunicorn_conf.py:"
        " your changes carried over"
    ]


def test_unedited_moved_modules_are_left_to_the_template(
    tmp_path: Path, old_template: tuple[Path, str]
) -> None:
    project = _updated_project(tmp_path, {"README.md": "ours\n"})
    before = tree(project)

    assert _migrate(project, *old_template) == []
    assert tree(project) == before
    # Without the template's history (a render from a dirty template), the last render decides.
    assert _migrate(project, old_template[0], "0000000") == []
    assert tree(project) == before


def test_an_edited_file_the_update_deleted_is_named(
    tmp_path: Path, old_template: tuple[Path, str]
) -> None:
    project = _updated_project(tmp_path, {"docs/retired.md": "ours\n"})
    (project / "docs/retired.md").unlink()

    lines = _migrate(project, *old_template)

    assert lines == [
        "rooms: WARNING docs/retired.md was removed by the template but you had changed it;"
        " your version: `git show HEAD:docs/retired.md`"
    ]


def test_the_script_reads_the_old_version_from_copiers_environment(
    tmp_path: Path, old_template: tuple[Path, str]
) -> None:
    user_cache = OLD_CACHE.replace("name)", "name.lower())")
    project = _updated_project(tmp_path, {"app/core/cache.py": user_cache})
    repo, version_from = old_template

    ran = subprocess.run(
        [sys.executable, str(MIGRATION), "--template", str(repo)],
        cwd=project,
        env={**os.environ, "STAGE": "after", "VERSION_FROM": version_from},
        capture_output=True,
        text=True,
        check=True,
    )

    assert ran.stdout == (
        "rooms: app/core/cache.py -> app/integrations/cache.py: your changes carried over\n"
    )
    assert "name.lower()" in (project / "app/integrations/cache.py").read_text()


def test_user_files_follow_their_package_and_their_importers_follow_them(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(
        project,
        {
            "app/worker/jobs.py": "from app.worker.broker import broker\n",
            "app/worker/__pycache__/jobs.cpython-311.pyc": "",
            "app/integrations/worker/broker.py": "broker = object()\n",
            "app/services/mail.py": "from app.worker.jobs import broker\n",
            "scripts/seed.py": "import os\n",
            "alembic/env.py": "from app.core.config import get_settings\n",
            "docs/notes.py": "from app.core.config import get_settings\n",
        },
    )
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "project")
    untouched = (project / "scripts/seed.py").stat().st_mtime_ns

    lines = _migrate(project, TEMPLATE_ROOT, OLD_LAYOUT)

    assert lines == [
        "rooms: app/worker/jobs.py -> app/integrations/worker/jobs.py: moved with its package",
        "rooms: alembic/env.py: imports moved to the new rooms",
        "rooms: app/integrations/worker/jobs.py: imports moved to the new rooms",
        "rooms: app/services/mail.py: imports moved to the new rooms",
    ]
    assert not (project / "app/worker").exists()
    assert (project / "app/integrations/worker/jobs.py").read_text() == (
        "from app.integrations.worker.broker import broker\n"
    )
    assert (project / "app/services/mail.py").read_text() == (
        "from app.integrations.worker.jobs import broker\n"
    )
    assert (project / "docs/notes.py").read_text() == "from app.core.config import get_settings\n"
    assert (project / "scripts/seed.py").stat().st_mtime_ns == untouched


def test_the_projects_layer_check_is_relayed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(
        project,
        {
            "scripts/check_layers.py": "print('app/services/x.py:1: services imports up')\n"
            "raise SystemExit(1)\n",
            "app/services/x.py": "import os\n",
        },
    )
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "project")

    lines = _migrate(project, TEMPLATE_ROOT, OLD_LAYOUT)

    assert lines == [
        "rooms: WARNING app/services/x.py:1: services imports up"
        " (the new layers, scripts/check_layers.py: tests/test_layers.py fails)"
    ]


# --- copier update from a render of the old layout ------------------------------------------------


def rooms_migration(config: str) -> dict[str, Any] | None:
    """The `_migrations` entry running migrations/rooms.py, if copier.yml has it."""
    entries = yaml.safe_load(config).get("_migrations") or []
    return next(
        (
            entry
            for entry in entries
            if isinstance(entry, dict) and "migrations/rooms.py" in str(entry.get("command"))
        ),
        None,
    )


@dataclass
class Layouts:
    repo: TemplateRepo
    old: str  # the old layout's commit, untagged
    release: str  # the tag of the new layout


def build_layouts(path: Path, with_migration: bool = True) -> Layouts:
    """The template at the old layout (untagged, like every render so far), then at the new one
    (the working tree) tagged with the version of its rooms migration, with or without it."""
    repo = TemplateRepo(path)
    new_tree = git(repo.path, "rev-parse", "HEAD^{tree}").strip()
    git(repo.path, "checkout", "-q", "--orphan", "old-layout")
    git(repo.path, "rm", "-rfq", ".")
    extract_commit(OLD_LAYOUT, repo.path, "the old layout")
    commit_all(repo.path, "today's main: the old layout")
    old = git(repo.path, "rev-parse", "--short", "HEAD").strip()
    new = git(repo.path, "commit-tree", new_tree, "-p", old, "-m", "the new rooms").strip()
    git(repo.path, "checkout", "-q", "-B", "main", new)
    config = (repo.path / "copier.yml").read_text()
    entry = rooms_migration(config)
    assert entry is not None, "copier.yml has no _migrations entry running migrations/rooms.py"
    if not with_migration:
        config = re.sub(r"(?m)^_migrations:.*\n(?:[ \t#]+.*\n|\n)*", "_migrations: []\n", config)
    (repo.path / "copier.yml").write_text(config)
    assert (rooms_migration(config) is not None) == with_migration
    release = str(entry["version"])
    repo.release(release)
    return Layouts(repo, old, release)


@pytest.fixture
def layouts(tmp_path: Path) -> Layouts:
    return build_layouts(tmp_path / "template-repo")


USER_SERVICE = """\
from fastapi.responses import JSONResponse

from app.api import API_V1_PREFIX
from app.core.config import Settings
from app.middleware.error_handler import error_response


def greeting(name: str, settings: Settings) -> str:
    return f"Hello, {name}, from {settings.PROJECT_NAME} at {API_V1_PREFIX}!"


def not_found(name: str) -> JSONResponse:
    return error_response(404, f"no greeting for {name}")
"""

USER_TEST = """\
from app.core.config import Settings, get_settings
from app.services.greeting_service import greeting, not_found


def test_greeting_names_the_service() -> None:
    settings = get_settings()
    assert isinstance(settings, Settings)
    assert greeting("Ada", settings) == f"Hello, Ada, from {settings.PROJECT_NAME} at /api/v1!"


def test_an_unknown_greeting_is_a_404() -> None:
    assert not_found("Bob").status_code == 404
"""

# Fine in the old rooms (config was the ground floor), above services in the new ones.
USER_PROBE = """\
from app.core.config import get_settings


def project_name() -> str:
    return get_settings().PROJECT_NAME
"""

USER_JOB = """\
from app.worker.broker import broker


@broker.task
async def say_hello() -> str:
    return "hello"
"""

LIFESPAN_NOTE = "# Team note: startup order reviewed by the payments team.\n"

# The old module paths of issue 14: none may be imported after the update.
OLD_MODULES = set(rooms.MODULE_MOVES)
OLD_NAMES = {module: set(names) for module, names in rooms.NAME_MOVES.items()}


def old_imports(project: Path) -> list[str]:
    """Every import of an old module path (or of a moved name from where it was) in the project."""
    found = []
    for path in sorted(project.rglob("*.py")):
        if ".venv" in path.parts or ".git" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [(alias.name, "") for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [(node.module, alias.name) for alias in node.names]
                modules += [(f"{node.module}.{alias.name}", "") for alias in node.names]
            else:
                continue
            for module, name in modules:
                parts = module.split(".")
                prefixes = {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
                if prefixes & OLD_MODULES or name in OLD_NAMES.get(module, ()):
                    found.append(f"{path.relative_to(project)}:{node.lineno}: {module} {name}")
    return found


def commit_of(project: Path) -> str:
    answers: dict[str, Any] = yaml.safe_load((project / ANSWERS_FILE).read_text())
    return str(answers["_commit"])


def has_worker(answers: dict[str, Any]) -> bool:
    return answers.get("worker", "none") != "none"


def add_user_work(project: Path, answers: dict[str, Any]) -> set[str]:
    """A user's module and test importing old paths, an edit of a moved module: the files that
    import old paths."""
    (project / "app/services/greeting_service.py").write_text(USER_SERVICE)
    (project / "tests/test_services/test_greeting_service.py").write_text(USER_TEST)
    lifespan = project / "app/core/lifespan.py"
    lifespan.write_text(lifespan.read_text() + "\n\n" + LIFESPAN_NOTE)
    users = {"app/services/greeting_service.py", "tests/test_services/test_greeting_service.py"}
    if has_worker(answers):
        (project / "app/worker/hello.py").write_text(USER_JOB)
        (project / "app/services/settings_probe.py").write_text(USER_PROBE)
        users |= {"app/integrations/worker/hello.py", "app/services/settings_probe.py"}
    assert old_imports(project)
    commit_all(project, "user work")
    return users


def update_across_the_move(
    layouts: Layouts,
    tmp_path: Path,
    answers: dict[str, Any],
    capfd: pytest.CaptureFixture[str],
) -> tuple[Path, str, set[str]]:
    """Render the old layout, add the user's work, update: the project, the migration's output
    and the user's files that imported old paths."""
    project = copy_project(layouts.repo, tmp_path / "project", answers, layouts.old)
    assert commit_of(project) == layouts.old  # a short hash: no tag before the move
    users = add_user_work(project, answers)
    capfd.readouterr()

    update_project(project, layouts.release)

    return project, capfd.readouterr().out, users


def test_without_the_migration_copier_drops_the_edit_of_a_moved_module_silently(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Why the migration carries edits: Copier deletes every file of the old render that the new
    render lacks, edited or not, and says nothing (copier/_main.py, _remove_old_files)."""
    layouts = build_layouts(tmp_path / "template-repo", with_migration=False)

    project, output, _ = update_across_the_move(layouts, tmp_path, MINIMAL, capfd)

    assert not (project / "app/core/lifespan.py").exists()
    assert LIFESPAN_NOTE not in (project / "app/bootstrap/lifespan.py").read_text()
    assert LIFESPAN_NOTE in git(project, "show", "HEAD:app/core/lifespan.py")
    assert "lifespan" not in output
    assert old_imports(project)  # and the user's imports are left broken


@pytest.mark.parametrize("answers", [MINIMAL, ALL_ON], ids=["all-off", "all-on"])
def test_update_from_an_old_layout_render_moves_the_users_imports_and_edits(
    layouts: Layouts,
    tmp_path: Path,
    answers: dict[str, Any],
    capfd: pytest.CaptureFixture[str],
) -> None:
    project, output, users = update_across_the_move(layouts, tmp_path, answers, capfd)

    assert commit_of(project) == layouts.release
    service = (project / "app/services/greeting_service.py").read_text()
    assert service.startswith(
        "from fastapi.responses import JSONResponse\n\n"
        "from app.core.config import API_V1_PREFIX, Settings\n"
        "from app.core.errors import error_response\n\n\n"
    )
    user_test = (project / "tests/test_services/test_greeting_service.py").read_text()
    assert user_test.startswith(
        "from app.bootstrap.settings import get_settings\nfrom app.core.config import Settings\n"
    )
    assert old_imports(project) == []
    # The user's edit of a moved module followed it.
    assert not (project / "app/core/lifespan.py").exists()
    assert LIFESPAN_NOTE in (project / "app/bootstrap/lifespan.py").read_text()
    carried = "rooms: app/core/lifespan.py -> app/bootstrap/lifespan.py: your changes carried over"
    assert carried in output
    assert "rooms: app/services/greeting_service.py: imports moved to the new rooms" in output
    rewritten = set(re.findall(r"(?m)^rooms: (\S+): imports moved to the new rooms$", output))
    # Only the user's files: the new render itself imports no old path.
    assert rewritten == users, output
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    if has_worker(answers):
        assert not (project / "app/worker").exists()
        job = (project / "app/integrations/worker/hello.py").read_text()
        assert job.startswith("from app.integrations.worker.broker import broker\n")
        # What no rewrite can fix is said: the probe now imports a layer above it.
        assert len(warnings) == 1, output
        assert warnings[0].startswith("rooms: WARNING app/services/settings_probe.py:1:")
        assert "app.bootstrap.settings" in warnings[0]
    else:
        assert warnings == [], output
    conflicted = [
        name
        for name, content in tree(project).items()
        if CONFLICT_MARKERS.search(content.decode(errors="replace"))
    ]
    assert conflicted == []


@pytest.mark.deep
def test_the_updated_project_with_the_users_module_passes_its_suite(
    layouts: Layouts, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project, _, _ = update_across_the_move(layouts, tmp_path, MINIMAL, capfd)
    rendered = RenderedProject(project, MINIMAL)
    rendered.sync()

    rendered.uv("run", "ruff", "check", ".").check()
    rendered.uv("run", "ruff", "format", "--check", ".").check()
    rendered.uv("run", "mypy").check()
    result = rendered.uv("run", "pytest", "-q", "-p", "no:cacheprovider").check()
    assert " passed" in result.output
    collected = rendered.uv("run", "pytest", "--collect-only", "-q").output
    assert "test_greeting_service.py" in collected
