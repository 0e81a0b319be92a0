"""The password policy of NIST SP 800-63B-4 (section 3.1.1.2): length, not composition.

At least PASSWORD_MIN_LENGTH characters (a setting: 15 by default, never fewer than 8), at most
PASSWORD_MAX_LENGTH, any printable Unicode, no control characters, not one of the most common
passwords, and not containing the account's username or its e-mail address's local part (when
that has 4 characters or more); both compared case-insensitively. A password is measured and
compared in its NFKC form, the form it is hashed in (app/core/password_hashing.py). Every rule
a password breaks is listed in the one error it gets.

The rules depend on a setting and on the account, so the services check them where a password
is set (registration, a change, a reset, the first admin) and the routes answer a 422 shaped
like any validation error. `NewPassword` only types and documents the field. A login checks
only the bounds: a password stored under an earlier policy must still work.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from typing import Annotated

from pydantic import Field
from pydantic_core import PydanticCustomError

from app.core.config import PASSWORD_MAX_LENGTH as PASSWORD_MAX_LENGTH
from app.core.config import PASSWORD_MIN_LENGTH_DEFAULT, PASSWORD_MIN_LENGTH_FLOOR
from app.core.password_hashing import normalize_password

# The default minimum; the one in force is the PASSWORD_MIN_LENGTH setting.
PASSWORD_MIN_LENGTH = PASSWORD_MIN_LENGTH_DEFAULT
# A username or local part shorter than this is not looked for in the password: "bob" is in too
# many good passphrases to refuse them all.
CONTEXT_PART_MIN_LENGTH = 4

# Every C0 and C1 control, DEL, and unpaired surrogates (which cannot be encoded to hash).
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

PASSWORD_RULES = (
    f"At least PASSWORD_MIN_LENGTH characters (the service's setting: {PASSWORD_MIN_LENGTH} "
    f"unless it says otherwise, never fewer than {PASSWORD_MIN_LENGTH_FLOOR}), at most "
    f"{PASSWORD_MAX_LENGTH}, counted in Unicode NFKC form; any letters, digits, spaces and "
    "symbols, no composition rules; no control characters; not one of the 30,000 most common "
    "passwords, and not containing the username or the e-mail address's part before the @ "
    f"(when it has {CONTEXT_PART_MIN_LENGTH} or more characters), compared case-insensitively. "
    "Every rule broken is listed in one 422 error of type password_policy."
)


class PasswordPolicyError(ValueError):
    """A new password breaks the policy; `problems` names each rule, never the password."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"Password {'; '.join(problems)}")


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


def password_problems(
    password: str,
    *,
    min_length: int = PASSWORD_MIN_LENGTH,
    username: str | None = None,
    email: str | None = None,
) -> list[str]:
    """What is wrong with `password` as a new password for the account named `username` at
    `email`; empty when it may be used."""
    problems = []
    normalized = normalize_password(password)
    # Bounded as typed too: a login takes at most PASSWORD_MAX_LENGTH characters as typed.
    if len(normalized) < min_length:
        problems.append(f"must have at least {min_length} characters")
    elif max(len(normalized), len(password)) > PASSWORD_MAX_LENGTH:
        problems.append(f"must have at most {PASSWORD_MAX_LENGTH} characters")
    if _CONTROL_CHARACTERS.search(password):
        problems.append("must not contain control characters (such as NUL)")
    # Controls removed: "password\0" is still "password" to whoever guesses it.
    folded = _CONTROL_CHARACTERS.sub("", normalized).casefold()
    if folded in common_passwords():
        problems.append("must not be one of the most common passwords")
    if _contains_part(folded, username):
        problems.append("must not contain the username")
    if email is not None and _contains_part(folded, email.rpartition("@")[0]):
        problems.append("must not contain the part of the e-mail address before the @")
    return problems


def _contains_part(folded_password: str, part: str | None) -> bool:
    if not part:
        return False
    folded_part = normalize_password(part).casefold()
    return len(folded_part) >= CONTEXT_PART_MIN_LENGTH and folded_part in folded_password


def ensure_password_allowed(
    password: str, *, min_length: int, username: str | None = None, email: str | None = None
) -> None:
    """Raise PasswordPolicyError naming every rule `password` breaks."""
    problems = password_problems(password, min_length=min_length, username=username, email=email)
    if problems:
        raise PasswordPolicyError(problems)


def check_new_password(password: str) -> str:
    """A Pydantic after-validator for a schema of a service's own: the policy at its default
    minimum, without the account's name and address. The template's routes check the setting
    and the account instead (`ensure_password_allowed`)."""
    problems = password_problems(password)
    if problems:
        # The message names the rules, never the password (the 422 must not echo it).
        raise PydanticCustomError(
            "password_policy", "Password {problems}", {"problems": "; ".join(problems)}
        )
    return password


# A password being chosen (registration, a change, a reset). The policy is checked by the
# service that sets it (it needs the setting and the account); the schema states the bounds that
# hold whatever the setting, and the rules in words.
NewPassword = Annotated[
    str,
    Field(
        description=PASSWORD_RULES,
        json_schema_extra={
            "minLength": PASSWORD_MIN_LENGTH_FLOOR,
            "maxLength": PASSWORD_MAX_LENGTH,
        },
    ),
]
