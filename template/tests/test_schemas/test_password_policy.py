from __future__ import annotations

import sys
from typing import Annotated

import pytest
from pydantic import AfterValidator, TypeAdapter, ValidationError

from app.schemas.password import (
    PasswordPolicyError,
    check_new_password,
    common_passwords,
    ensure_password_allowed,
    password_problems,
)


def test_the_common_list_is_zxcvbns_passwords_alone_loaded_without_its_scorer() -> None:
    passwords = common_passwords()

    assert len(passwords) >= 29_000
    assert {"123456", "password", "password1", "iloveyou", "qwertyuiop"} <= passwords
    assert all(password == password.casefold() for password in passwords)
    # The data module ran on its own: zxcvbn's package (and its dictionaries) is not loaded.
    assert "zxcvbn" not in sys.modules
    assert common_passwords() is passwords  # read once


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("Secure Pass 12345", []),
        ("correct horse battery staple", []),
        ("пароль-надёжный-длинный", []),  # any printable Unicode
        ("weakpass", ["at least 15"]),
        ("fourteen chars", ["at least 15"]),
        ("QwertyUiop12345", ["common"]),
        ("Password1" + "\x00" * 6, ["control", "common"]),
        ("A1" + "\x00" * 13, ["control"]),
        ("Sec1", ["at least"]),
        ("pass\x00", ["at least", "control", "common"]),
        ("S1" + "x" * 200, ["at most"]),
        ("tab\there!ok and more", ["control"]),
        ("a\ud800bcdefghijklmnop", ["control"]),
        # Counted after NFKC: the ligature is two letters, the fullwidth digits ASCII ones.
        ("\ufb01fteen chars!!", []),
        ("\ufb01fteen chars!", ["at least"]),
        ("\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44", ["at least", "common"]),
    ],
)
def test_password_problems_name_every_rule_broken(password: str, problems: list[str]) -> None:
    found = password_problems(password)

    assert len(found) == len(problems), found
    for problem, expected in zip(found, problems, strict=True):
        assert expected in problem


def test_the_minimum_length_is_the_callers() -> None:
    assert password_problems("twelve chars", min_length=8) == []
    assert password_problems("twelve chars", min_length=13) == ["must have at least 13 characters"]
    # Past the most, whatever the minimum.
    assert password_problems("x" * 129, min_length=8) == ["must have at most 128 characters"]


@pytest.mark.parametrize(
    ("password", "username", "email", "problems"),
    [
        ("my MariGold garden 1987", "marigold", "m@example.com", ["username"]),
        ("Juniper.W likes long walks", "jw-user", "juniper.w@example.com", ["before the @"]),
        ("juniper juniper juniper", "juniper", "juniper@example.com", ["username", "before"]),
        # Fullwidth letters are the same letters once normalised.
        (
            "\uff4d\uff41\uff52\uff49\uff47\uff4f\uff4c\uff44 garden 1987",
            "marigold",
            None,
            ["username"],
        ),
        # Under 4 characters: not looked for.
        ("bob builds bridges", "bob", "bob@example.com", []),
        ("my marigold garden", None, None, []),
    ],
)
def test_a_password_may_not_hold_the_username_or_the_local_part(
    password: str, username: str | None, email: str | None, problems: list[str]
) -> None:
    found = password_problems(password, username=username, email=email)

    assert len(found) == len(problems), found
    for problem, expected in zip(found, problems, strict=True):
        assert expected in problem


def test_the_policy_error_names_the_rules_never_the_password() -> None:
    with pytest.raises(PasswordPolicyError) as refused:
        ensure_password_allowed("Zanzibar-Kite", min_length=15, username="zanzibar-kite")

    assert refused.value.problems == [
        "must have at least 15 characters",
        "must not contain the username",
    ]
    assert str(refused.value) == (
        "Password must have at least 15 characters; must not contain the username"
    )


def test_check_new_password_refuses_as_a_pydantic_validator_at_the_default_minimum() -> None:
    password = Annotated[str, AfterValidator(check_new_password)]
    adapter = TypeAdapter(password)

    assert adapter.validate_python("fifteen chars!!") == "fifteen chars!!"
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python("weakpass")
    [error] = refused.value.errors()
    assert error["type"] == "password_policy"
    assert error["msg"] == "Password must have at least 15 characters"
