"""The password policy of NIST SP 800-63B (section 3.1.1.2): length, not composition.

At least PASSWORD_MIN_LENGTH characters, at most PASSWORD_MAX_LENGTH, any printable Unicode,
no control characters, and not one of the most common passwords (compared case-insensitively).
Every rule a password breaks is listed in the one error it gets.

`NewPassword` is for passwords being chosen (registration, a change, a reset). A login checks
only the bounds: a password stored under an earlier policy must still work.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

PASSWORD_MIN_LENGTH = 8
# Bounded so a huge body cannot buy a long Argon2 run; a login refuses longer ones unhashed.
PASSWORD_MAX_LENGTH = 128

# Every C0 and C1 control, DEL, and unpaired surrogates (which cannot be encoded to hash).
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

PASSWORD_RULES = (
    f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters; any letters, digits, spaces "
    "and symbols, no composition rules; no control characters; not one of the 30,000 most "
    "common passwords (compared case-insensitively). Every rule broken is listed in the error."
)


@functools.cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's frequency-ordered list of common passwords (lower case), read on first use.

    Importing `zxcvbn` itself builds the ranked dictionaries of its scorer from six word lists,
    memory every process would keep; the data module alone has no imports and is run here on
    its own, and only the passwords are kept.
    """
    package = importlib.util.find_spec("zxcvbn")
    if package is None or not package.submodule_search_locations:
        raise RuntimeError("the zxcvbn package is not installed")
    location = f"{next(iter(package.submodule_search_locations))}/frequency_lists.py"
    spec = importlib.util.spec_from_file_location("_zxcvbn_frequency_lists", location)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {location}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    passwords: list[str] = module.FREQUENCY_LISTS["passwords"]
    return frozenset(password.casefold() for password in passwords)


def password_problems(password: str) -> list[str]:
    """What is wrong with `password` as a new password; empty when it may be used."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"must have at least {PASSWORD_MIN_LENGTH} characters")
    elif len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"must have at most {PASSWORD_MAX_LENGTH} characters")
    if _CONTROL_CHARACTERS.search(password):
        problems.append("must not contain control characters (such as NUL)")
    # Controls removed: "password\0" is still "password" to whoever guesses it.
    if len(password) <= PASSWORD_MAX_LENGTH and (
        _CONTROL_CHARACTERS.sub("", password).casefold() in common_passwords()
    ):
        problems.append("must not be one of the most common passwords")
    return problems


def check_new_password(password: str) -> str:
    problems = password_problems(password)
    if problems:
        # The message names the rules, never the password (the 422 must not echo it).
        raise PydanticCustomError(
            "password_policy", "Password {problems}", {"problems": "; ".join(problems)}
        )
    return password


# The length bounds are in the schema for clients but checked by `check_new_password`, so a
# short common password is told both, in one error.
NewPassword = Annotated[
    str,
    Field(
        description=PASSWORD_RULES,
        json_schema_extra={"minLength": PASSWORD_MIN_LENGTH, "maxLength": PASSWORD_MAX_LENGTH},
    ),
    AfterValidator(check_new_password),
]
