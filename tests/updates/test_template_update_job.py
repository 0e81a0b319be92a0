"""The generated template-update job (scripts/template_update.py), run as the CI runs it, against
a private tagged copy of the template: the branch, the conflicts it reports, the refreshed
uv.lock, and the pull request (a recording `gh`) or merge request (push options received by a
local bare repository) it opens or refreshes."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import UV, project_environment
from tests.modules import load_module
from tests.scenarios import MINIMAL
from tests.template_repo import TemplateRepo, commit_all, copy_project, git

ANSWERS = {**MINIMAL, "ci": "github"}
TOKENS_MODULE = "app/core/tokens.py"
TEMPLATE_TOKENS_MODULE = "template/app/core/{% if 'accounts' in features %}tokens.py{% endif %}"
DOCSTRING = '"""Access tokens, a verifier'

FAKE_GH = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["pr", "list"]:
    print(os.environ.get("GH_OPEN_PR", ""))
elif sys.argv[1:3] == ["pr", "create"]:
    print("https://github.example/acme/service/pull/12")
"""

RECORD_PUSH_OPTIONS = """#!/bin/sh
i=0
while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do
    eval "echo \\"\\$GIT_PUSH_OPTION_$i\\"" >> "$PUSH_OPTIONS_LOG"
    i=$((i + 1))
done
"""


@pytest.fixture
def template(tmp_path: Path) -> TemplateRepo:
    repo = TemplateRepo(tmp_path / "template-repo")
    repo.release("v1.0.0")
    return repo


@pytest.fixture
def project(template: TemplateRepo, tmp_path: Path) -> Path:
    return copy_project(template, tmp_path / "service", ANSWERS, "v1.0.0")


@pytest.fixture
def fake_gh(tmp_path: Path) -> Path:
    """A `gh` that records its arguments; GH_OPEN_PR plays an already open pull request."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.replace("python3", sys.executable, 1))
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def job(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The script as the pipeline runs it: a plain python3, uv and uvx on PATH."""
    path = os.pathsep.join([str(Path(UV).parent), os.environ["PATH"]])
    return subprocess.run(
        [sys.executable, "scripts/template_update.py", *args],
        cwd=project,
        env={**project_environment(), "PATH": path, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


SUMMARY_KEYS = ("branch", "changed", "conflicts", "from", "lock", "lock_error", "set_aside", "to")


def update(project: Path, *, patch: bool = False) -> dict[str, Any]:
    patching = ["--patch", str(project.parent / "update.patch")] if patch else []
    completed = job(project, "update", "--summary", str(project.parent / "summary.json"), *patching)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary: dict[str, Any] = json.loads(completed.stdout)
    assert json.loads((project.parent / "summary.json").read_text()) == summary
    return summary


def gh_calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def release_with_new_dependency(template: TemplateRepo) -> None:
    opening = "CORE_DEV_DEPENDENCIES: tuple[str, ...] = (\n"
    template.edit(
        "extensions/core.py",
        lambda text: text.replace(opening, f'{opening}    "pytest-timeout>=2.3",\n', 1),
    )
    template.release("v1.1.0")


def release_rewording_the_tokens_docstring(template: TemplateRepo) -> None:
    """v1.1.0 changes one line the service may have changed too."""
    template.edit(
        TEMPLATE_TOKENS_MODULE,
        lambda text: text.replace(DOCSTRING, '"""Access tokens (HS256), a verifier'),
    )
    template.release("v1.1.0")


def test_clean_update_is_committed_locked_and_opened_ready(
    template: TemplateRepo, project: Path, fake_gh: Path, tmp_path: Path
) -> None:
    subprocess.run([UV, "lock", "--quiet"], cwd=project, env=project_environment(), check=True)
    commit_all(project, "lock")
    release_with_new_dependency(template)

    summary = update(project)

    assert {key: summary[key] for key in SUMMARY_KEYS} == {
        "branch": "template-update",
        "changed": True,
        "conflicts": [],
        "from": "v1.0.0",
        "lock": "refreshed",
        "lock_error": "",
        "set_aside": [],
        "to": "v1.1.0",
    }
    assert "copier update: no conflicts." in summary["output"]  # Copier's migrations, not quiet
    # Back on the branch it started from, main untouched; the update is on its own branch.
    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "-1", "--format=%s").strip() == "lock"
    subject = git(project, "log", "-1", "--format=%s", "template-update")
    assert "Update from the template: v1.0.0 -> v1.1.0" in subject
    assert summary["head"] == git(project, "rev-parse", "template-update").strip()
    assert "pytest-timeout" in git(project, "show", "template-update:uv.lock")

    log = tmp_path / "gh.log"
    opened = job(
        project,
        "pull-request",
        "github",
        "--tests",
        "success",
        "--base",
        "main",
        env={
            "PATH": f"{fake_gh}{os.pathsep}{os.environ['PATH']}",
            "GH_LOG": str(log),
            "TEMPLATE_UPDATE_SUMMARY": json.dumps(summary),
        },
    )

    assert opened.returncode == 0, opened.stderr
    assert "opened https://github.example/acme/service/pull/12" in opened.stdout
    calls = gh_calls(log)
    assert calls[0][:4] == ["pr", "list", "--head", "template-update"]
    create = calls[1]
    assert create[:2] == ["pr", "create"]
    assert "--draft" not in create
    assert create[create.index("--title") + 1] == "Update from the template: v1.0.0 -> v1.1.0"
    assert create[create.index("--base") + 1] == "main"
    assert len(calls) == 2


def test_conflicts_are_listed_and_make_the_open_request_a_draft(
    template: TemplateRepo, project: Path, fake_gh: Path, tmp_path: Path
) -> None:
    module = project / TOKENS_MODULE
    module.write_text(module.read_text().replace(DOCSTRING, '"""Our access tokens, a verifier'))
    commit_all(project, "reword the security docstring")
    release_rewording_the_tokens_docstring(template)

    summary = update(project)

    assert summary["conflicts"] == [TOKENS_MODULE]
    assert summary["lock"] == "unchanged"  # no uv.lock in this service
    committed = git(project, "show", f"template-update:{TOKENS_MODULE}")
    assert "<<<<<<< " in committed
    assert ">>>>>>> " in committed

    log = tmp_path / "gh.log"
    refreshed = job(
        project,
        "pull-request",
        "github",
        "--summary",
        str(project.parent / "summary.json"),
        "--tests",
        "failure",
        "--head-sha",
        summary["head"],
        env={
            "PATH": f"{fake_gh}{os.pathsep}{os.environ['PATH']}",
            "GH_LOG": str(log),
            "GH_OPEN_PR": "7",
            "GH_REPO": "acme/service",
        },
    )

    assert refreshed.returncode == 0, refreshed.stderr
    assert "refreshed pull request #7 (draft)" in refreshed.stdout
    calls = gh_calls(log)
    assert [call[:3] for call in calls] == [
        ["pr", "list", "--head"],
        ["api", "--method", "POST"],
        ["pr", "edit", "7"],
        ["pr", "ready", "7"],
    ]
    # A failing status on the head while markers remain: the built-in token's pull requests
    # start no checks, so this is what a reviewer (and branch protection) sees.
    assert calls[1][3:] == [
        f"repos/acme/service/statuses/{summary['head']}",
        "-f",
        "state=failure",
        "-f",
        "context=template-update",
        "-f",
        "description=conflict markers in 1 file(s)",
    ]
    assert calls[3] == ["pr", "ready", "7", "--undo"]
    body = Path(calls[2][calls[2].index("--body-file") + 1]).read_text()
    assert f"`{TOKENS_MODULE}`" in body
    assert "Tests: failed" in body
    assert "## Release notes" in body
    assert "Copier's output and its migrations'" in body
    assert "copier update left conflicts in 1 file(s)" in body


def test_gitlab_merge_request_is_pushed_with_push_options(
    template: TemplateRepo, project: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "gitlab-remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run(
        ["git", "config", "receive.advertisePushOptions", "true"], cwd=remote, check=True
    )
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(RECORD_PUSH_OPTIONS)
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    release_rewording_the_tokens_docstring(template)
    update(project, patch=True)
    options_log = tmp_path / "push-options.log"

    pushed = job(
        project,
        "pull-request",
        "gitlab",
        "--summary",
        str(project.parent / "summary.json"),
        "--patch",
        str(project.parent / "update.patch"),
        "--tests",
        "passed",
        "--remote",
        str(remote),
        env={"CI_DEFAULT_BRANCH": "main", "PUSH_OPTIONS_LOG": str(options_log)},
    )

    assert pushed.returncode == 0, pushed.stderr
    options = options_log.read_text().splitlines()
    assert "merge_request.create" in options
    assert "merge_request.target=main" in options
    assert "merge_request.title=Update from the template: v1.0.0 -> v1.1.0" in options
    assert (
        "merge_request.description=Tests: passed. uv.lock: unchanged. Conflicts: none." in options
    )
    pushed_tree = subprocess.run(
        ["git", "rev-parse", "refs/heads/template-update^{tree}"],
        cwd=remote,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert pushed_tree.strip() == git(project, "rev-parse", "template-update^{tree}").strip()
    assert "no commit status (not in GitLab CI)" in pushed.stdout


def test_nothing_new_means_no_branch_commit_and_no_request(
    project: Path, fake_gh: Path, tmp_path: Path
) -> None:
    summary = update(project)

    assert summary["changed"] is False
    assert summary["from"] == summary["to"] == "v1.0.0"
    assert git(project, "log", "-1", "--format=%s").strip() == "generate"
    log = tmp_path / "gh.log"
    skipped = job(
        project,
        "pull-request",
        "github",
        env={
            "PATH": f"{fake_gh}{os.pathsep}{os.environ['PATH']}",
            "GH_LOG": str(log),
            "TEMPLATE_UPDATE_SUMMARY": json.dumps(summary),
        },
    )
    assert skipped.returncode == 0
    assert "nothing new" in skipped.stdout
    assert gh_calls(log) == []


def test_uncommitted_changes_stop_the_update_with_one_message(project: Path) -> None:
    (project / "README.md").write_text("edited, not committed\n")

    refused = job(project, "update")

    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "template update: the working tree has uncommitted changes; copier update needs it clean"
    )
    assert git(project, "branch", "--show-current").strip() == "main"


FAILING_HOOK = "#!/bin/sh\necho 'a hook ran' >&2\nexit 1\n"
HOOKS = ("pre-commit", "commit-msg", "applypatch-msg", "pre-applypatch", "post-applypatch")


def test_the_push_job_applies_the_patch_with_hooks_off_and_runs_no_template_code(
    template: TemplateRepo, project: Path, tmp_path: Path
) -> None:
    """What the update job hands on (a patch) is pushed from a fresh checkout of the default
    branch, as the separate push job does, even with hooks that would refuse everything."""
    release_rewording_the_tokens_docstring(template)
    update(project, patch=True)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    checkout = tmp_path / "push-job"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(project), str(checkout)], check=True)
    for name in (*HOOKS, "pre-push"):
        hook = checkout / ".git" / "hooks" / name
        hook.write_text(FAILING_HOOK)
        hook.chmod(hook.stat().st_mode | stat.S_IEXEC)

    pushed = job(
        checkout,
        "push",
        "--patch",
        str(project.parent / "update.patch"),
        "--remote",
        str(remote),
    )

    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "a hook ran" not in pushed.stderr
    head = pushed.stdout.strip()
    assert git(remote, "rev-parse", "refs/heads/template-update").strip() == head
    assert (
        git(remote, "rev-parse", f"{head}^{{tree}}").strip()
        == git(project, "rev-parse", "template-update^{tree}").strip()
    )


def test_a_private_templates_token_reaches_git_for_its_url_only(project: Path) -> None:
    script = load_module(project / "scripts" / "template_update.py")
    secrets = {
        "TEMPLATE_REPOSITORY_TOKEN": "read-only-token",
        "TEMPLATE_UPDATE_TOKEN": "write-token",
        "GH_TOKEN": "gh-write-token",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.autocrlf",
        "GIT_CONFIG_VALUE_0": "false",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in secrets.items():
            patch.setenv(name, value)
        env = script.template_environment("gh:acme/template")
        local = script.template_environment(str(project))

    # No credential that can write to the service's repository reaches the template's code.
    for written in ("TEMPLATE_UPDATE_TOKEN", "GH_TOKEN", "TEMPLATE_REPOSITORY_TOKEN"):
        assert written not in env
        assert written not in local
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_0"] == "core.autocrlf"  # the pipeline's own git settings kept
    assert env["GIT_CONFIG_KEY_1"] == (
        "url.https://x-access-token:read-only-token@github.com/acme/template.insteadOf"
    )
    assert env["GIT_CONFIG_VALUE_1"] == "https://github.com/acme/template"
    # A template that is not fetched over https gets no token at all.
    assert "read-only-token" not in json.dumps(local)


def test_an_unreachable_template_stops_the_update_naming_its_url_and_the_token(
    project: Path,
) -> None:
    answers = project / ".copier-answers.yml"
    source = re.search(r"^_src_path: (.+)$", answers.read_text(), re.MULTILINE)
    assert source is not None
    unreachable = "https://127.0.0.1:9/acme/template.git"
    answers.write_text(answers.read_text().replace(source.group(1), unreachable))
    commit_all(project, "a template the pipeline cannot reach")

    refused = job(project, "update")

    assert refused.returncode == 1
    assert f"the template at {unreachable} cannot be read from here" in refused.stderr
    assert "TEMPLATE_REPOSITORY_TOKEN" in refused.stderr
    assert "Updating is only supported" not in refused.stderr
    assert git(project, "branch", "--show-current").strip() == "main"


def test_preview_reports_the_update_and_the_edited_template_files_and_changes_nothing(
    template: TemplateRepo, project: Path
) -> None:
    module = project / TOKENS_MODULE
    module.write_text(module.read_text().replace(DOCSTRING, '"""Our access tokens, a verifier'))
    commit_all(project, "reword the tokens docstring")
    (template.path / "template" / "RUNBOOK.md").write_text("# Runbook\n")
    template.edit(
        "CHANGELOG.md",
        lambda text: text.replace(
            "## Unreleased\n",
            "## Unreleased\n\n## v1.1.0\n\n### Upgrading\n- Read RUNBOOK.md.\n",
            1,
        ),
    )
    template.release("v1.1.0")
    before = git(project, "rev-parse", "HEAD"), sorted(git(project, "branch").split())

    previewed = job(project, "preview")

    assert previewed.returncode == 0, previewed.stdout + previewed.stderr
    report = previewed.stdout
    assert "copier update v1.0.0 -> v1.1.0 (preview: nothing was changed)" in report
    assert "Files the update changes:\n" in report
    assert "  RUNBOOK.md\n" in report
    assert "Conflicts:\n  none\n" in report
    assert "Set aside:\n  nothing\n" in report
    assert "- Read RUNBOOK.md." in report
    assert (
        f"The template's files you have edited (where conflicts come from):\n  {TOKENS_MODULE}\n"
        in report
    )
    assert "copier update: no conflicts." in report  # the migrations' output
    assert (git(project, "rev-parse", "HEAD"), sorted(git(project, "branch").split())) == before
    assert git(project, "status", "--porcelain") == ""


def test_a_failed_lock_is_explained_in_the_request_and_blocks_it(project: Path) -> None:
    script = load_module(project / "scripts" / "template_update.py")
    summary = {
        "branch": "template-update",
        "from": "v1.0.0",
        "to": "v1.1.0",
        "conflicts": [],
        "set_aside": [".template-set-aside/app/api/routes/reports.py"],
        "lock": "failed",
        "lock_error": "`uv lock` exited 1:\nerror: Failed to parse `pyproject.toml`",
        "notes": "## 2026-12-06: v1.0.0 → v1.1.0\n\n### v1.1.0\n\n- Read RUNBOOK.md.",
        "output": "copier update: no conflicts.",
    }

    body = script.description(summary, "passed")

    assert script.is_draft(summary, "passed")
    assert script.blocked(summary) == "uv.lock could not be refreshed"
    assert "`uv lock` failed:" in body
    assert "error: Failed to parse `pyproject.toml`" in body
    assert "`.template-set-aside/app/api/routes/reports.py`" in body
    assert "- Read RUNBOOK.md." in body
