"""A renamed name keeps working through its alias, with a warning the suite shows, not raises."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from types import ModuleType

import pytest

from app.core.deprecation import TemplateDeprecationWarning, renamed_names

MODULE = "app.renamed_for_a_test"


@pytest.fixture
def module() -> Iterator[ModuleType]:
    renamed = ModuleType(MODULE)
    renamed.new_name = "the value"  # type: ignore[attr-defined]
    renamed.__getattr__ = renamed_names(MODULE, {"old_name": "new_name"})  # type: ignore[method-assign]
    sys.modules[MODULE] = renamed
    yield renamed
    del sys.modules[MODULE]


def test_the_old_name_answers_with_the_new_ones_value_and_warns(module: ModuleType) -> None:
    with pytest.warns(TemplateDeprecationWarning, match=rf"{MODULE}\.old_name is now"):
        value = module.old_name

    assert value == "the value"


def test_from_import_of_the_old_name_warns_too(module: ModuleType) -> None:
    with pytest.warns(TemplateDeprecationWarning):
        from app.renamed_for_a_test import old_name  # type: ignore[import-not-found]

    assert old_name == "the value"


def test_an_unknown_name_is_still_an_attribute_error(module: ModuleType) -> None:
    with pytest.raises(AttributeError, match="no attribute 'never_existed'"):
        _ = module.never_existed


def test_the_suite_shows_the_warning_from_app_code_instead_of_failing() -> None:
    # The service's own DeprecationWarnings from app.* are errors (pyproject.toml); the template's
    # renames must not be, or an update would fail the suite of a service that still uses one.
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit(
            "renamed", TemplateDeprecationWarning, "app/uses_it.py", 1, module="app.uses_it"
        )

    assert [warning.category for warning in caught] == [TemplateDeprecationWarning]
