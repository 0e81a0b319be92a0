"""Names the template renamed keep working for a while: a release that renames a public name
keeps the old one as an alias for at least one minor release, so an update never breaks a
service that still uses it. Using the old name warns with `TemplateDeprecationWarning`, which the
service's pytest configuration shows instead of failing on; `copier update` names each use.

In the module that owned the old name (mypy sees the alias, the runtime warns on each use):

    if TYPE_CHECKING:
        CurrentUser = CurrentUserDep
    else:
        __getattr__ = renamed_names(__name__, {"CurrentUser": "CurrentUserDep"})
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping


class TemplateDeprecationWarning(DeprecationWarning):
    """Your code uses a name the template renamed; UPGRADING.md says what it is called now."""


def renamed_names(module: str, renames: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` answering each old name (a key of `renames`) with the value of its
    new name in `module`, after a `TemplateDeprecationWarning` pointing at the caller."""

    def answer_old_name(name: str) -> object:
        new_name = renames.get(name)
        if new_name is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(
            f"{module}.{name} is now {module}.{new_name}; the old name goes in a later release",
            TemplateDeprecationWarning,
            stacklevel=2,
        )
        return getattr(sys.modules[module], new_name)

    return answer_old_name
