from __future__ import annotations

import sys

import pytest

from app.schemas.password import common_passwords, password_problems


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
        ("SecurePass123", []),
        ("correct horse battery staple", []),
        ("пароль-надёжный", []),  # any printable Unicode
        ("12345678", ["common"]),
        ("Password1", ["common"]),
        ("A1" + "\x00" * 6, ["control"]),
        ("password\x00", ["control", "common"]),
        ("Sec1", ["at least"]),
        ("pass\x00", ["at least", "control", "common"]),
        ("S1" + "x" * 200, ["at most"]),
        ("tab\there!ok", ["control"]),
        ("a\ud800bcdefghi", ["control"]),
    ],
)
def test_password_problems_name_every_rule_broken(password: str, problems: list[str]) -> None:
    found = password_problems(password)

    assert len(found) == len(problems)
    for problem, expected in zip(found, problems, strict=True):
        assert expected in problem
