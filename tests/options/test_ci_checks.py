"""The CI and dependency-bot checks reject broken files: each case breaks one rendered file the
way a careless edit would, and the check that guards it must fail (test_matrix.py proves the
unbroken renders pass)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ci_checks import schema_errors, zizmor_findings
from tests.helpers import RenderedProject, render

WORKFLOW = ".github/workflows/ci.yml"
UPDATE_WORKFLOW = ".github/workflows/template-update.yml"
DEPENDABOT = ".github/dependabot.yml"


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, f"the render no longer contains {old!r}"
        return text.replace(old, new, 1)

    return change


def drop_cooldowns(text: str) -> str:
    changed = re.sub(r"    cooldown:\n(?:      .*\n)+", "", text)
    assert changed != text
    return changed


def unpin_checkout(text: str) -> str:
    changed = re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v4", text)
    assert changed != text
    return changed


def renovate_age_as_number(text: str) -> str:
    config = json.loads(text)
    config["minimumReleaseAge"] = 7
    return json.dumps(config)


# (case, answers' ci, file, how it is broken, "schema:<name>" or "zizmor", expected finding)
BROKEN: list[tuple[str, str, str, Callable[[str], str], str, str]] = [
    (
        "job-without-runner",
        "github",
        WORKFLOW,
        replace_once("    runs-on: ubuntu-latest\n", ""),
        "schema:vendor.github-workflows",
        "",
    ),
    (
        "template-injection",
        "github",
        WORKFLOW,
        replace_once(
            "      - name: Lint\n",
            '      - name: Greet\n        run: echo "${{ github.event.pull_request.title }}"\n'
            "      - name: Lint\n",
        ),
        "zizmor",
        "template-injection",
    ),
    ("unpinned-action", "github", WORKFLOW, unpin_checkout, "zizmor", "unpinned-uses"),
    (
        "persisted-credentials",
        "github",
        WORKFLOW,
        replace_once("          persist-credentials: false\n", ""),
        "zizmor",
        "artipacked",
    ),
    (
        "default-permissions",
        "github",
        UPDATE_WORKFLOW,
        lambda text: replace_once("permissions: {}\n", "")(
            replace_once("    permissions:\n      contents: write\n", "")(text)
        ),
        "zizmor",
        "excessive-permissions",
    ),
    ("dependabot-without-cooldown", "github", DEPENDABOT, drop_cooldowns, "zizmor", "cooldown"),
    (
        "dependabot-bad-interval",
        "github",
        DEPENDABOT,
        replace_once("interval: weekly", "interval: fortnightly"),
        "schema:vendor.dependabot",
        "",
    ),
    (
        "gitlab-bad-rule",
        "gitlab",
        ".gitlab-ci.yml",
        replace_once("      when: never", "      when: sometimes"),
        "schema:vendor.gitlab-ci",
        "",
    ),
    (
        "renovate-age-as-number",
        "gitlab",
        "renovate.json",
        renovate_age_as_number,
        "schema:vendor.renovate",
        "",
    ),
]


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RenderedProject]:
    return {
        ci: render(tmp_path_factory.mktemp(f"ci-{ci}"), {"ci": ci}) for ci in ("github", "gitlab")
    }


@pytest.mark.parametrize(
    ("ci", "name", "breakage", "check", "finding"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_file_is_rejected(
    renders: dict[str, RenderedProject],
    tmp_path: Path,
    ci: str,
    name: str,
    breakage: Callable[[str], str],
    check: str,
    finding: str,
) -> None:
    project = tmp_path / "project"
    shutil.copytree(renders[ci].path, project)
    target = project / name
    target.write_text(breakage(target.read_text()))

    if check == "zizmor":
        output = zizmor_findings(project)
    else:
        output = schema_errors(target, check.removeprefix("schema:"))

    assert output is not None, f"{check} accepted a broken {name}"
    assert finding in output, output
