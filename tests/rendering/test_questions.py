"""copier.yml: invalid answers are refused with a message saying what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import render


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_name": ""}, "project_name must be 1-80 characters"),
        ({"project_name": "9 Lives"}, "starting with a letter"),
        ({"project_name": 'Say "hi"'}, "letters, digits, spaces and . _ - ( ) only"),
        ({"project_name": "x" * 81}, "project_name must be 1-80 characters"),
        ({"project_slug": "Bad_Slug"}, "lowercase letters, digits and single hyphens"),
        ({"project_slug": "a"}, "project_slug must be 2-50 characters"),
        ({"project_slug": "trailing-"}, "not ending with a hyphen"),
        ({"description": "two\nlines"}, "description must be one line"),
        ({"description": 'has "quotes"'}, "without double quotes"),
        ({"author_name": "back\\slash"}, "author_name must be one line"),
        ({"author_email": "not-an-email"}, "author_email must be an address like"),
        ({"author_email": "Team <t@example.com>"}, "no spaces, quotes or angle brackets"),
        ({"python_version": "3.10"}, "'3.10' is not in ['3.11', '3.12', '3.13']"),
        ({"python_version": "3.14"}, "'3.14' is not in ['3.11', '3.12', '3.13']"),
        ({"rate_limit": "sometimes"}, "'sometimes' is not in ['off', 'memory', 'redis']"),
        ({"worker": "celery"}, "'celery' is not in ['none', 'taskiq']"),
        ({"ci": "jenkins"}, "'jenkins' is not in ['github', 'gitlab', 'none']"),
        ({"deploy": "helm"}, "'helm' is not in ['none', 'kubernetes']"),
        # Combinations that cannot work.
        ({"cache": True}, "cache needs Redis: answer redis=true, or cache=false"),
        ({"rate_limit": "redis"}, "rate_limit=redis needs Redis: answer redis=true"),
        ({"worker": "taskiq"}, "worker=taskiq needs Redis for its queue: answer redis=true"),
        ({"redis": False, "cache": True, "worker": "taskiq"}, "cache needs Redis"),
        ({"auth": "saml"}, "'saml' is not in ['builtin', 'oidc']"),
        (
            {"auth": "oidc", "email": True},
            "email mails password resets and address checks of the service's own accounts: "
            "answer auth=builtin, or email=false",
        ),
    ],
)
def test_invalid_answer_is_refused_with_what_is_allowed(
    copie: Any, answers: dict[str, Any], message: str
) -> None:
    result = copie.copy(extra_answers=answers)

    assert result.exit_code != 0
    assert isinstance(result.exception, ValueError)
    assert message in str(result.exception)
    assert result.project_dir is None
    assert not any(copie.test_dir.rglob("*.py")), "nothing may be rendered"


def test_slug_is_derived_from_the_name(tmp_path: Path) -> None:
    project = render(tmp_path, {"project_name": "Payments API (v2)"})

    assert project.answers["project_slug"] == "payments-api-v2"
    assert 'name = "payments-api-v2"' in (project.path / "pyproject.toml").read_text()


def test_answers_file_records_every_answer(tmp_path: Path) -> None:
    answers = {
        "project_name": "Ledger",
        "project_slug": "ledger-svc",
        "description": "Double-entry ledger: accounts & postings.",
        "author_name": "Finance Platform",
        "author_email": "finance@example.org",
        "python_version": "3.13",
    }

    project = render(tmp_path, answers)

    assert {key: project.answers[key] for key in answers} == answers
    recorded = (project.path / ".copier-answers.yml").read_text()
    for value in answers.values():
        assert value in recorded
