"""The string type every request field is built on: what the database, the drivers or the JSON
encoder cannot take is refused at the edge with a 422, before a layer below meets it.

PostgreSQL text cannot hold NUL (asyncpg raises CharacterNotInRepertoireError), and an unpaired
surrogate (JSON `"\\ud800"`, which Python's json module decodes) cannot be encoded to UTF-8 by
any driver or by the response encoder. Other C0 controls and DEL are refused too: no field here
has a use for them. Tab, line feed and carriage return stay allowed for free text.

The rule is a `pattern`, not a validator, so it is in the OpenAPI document for clients (and
fuzzers) to see, and it merges with a field's own bounds into one string check. pydantic-core
matches patterns on UTF-8 text, so a string holding a surrogate fails as `string_unicode`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# The bound of a field that sets none of its own: every string a request carries is bounded.
TEXT_MAX_LENGTH = 10_000
# ECMA-262 and Rust regex syntax alike, so the document states what the server enforces.
SAFE_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

# Narrow it per field: `Annotated[SafeStr, Field(max_length=50)]`. A field that sets its own
# `pattern` replaces this one, so that pattern must exclude control characters itself.
SafeStr = Annotated[str, Field(max_length=TEXT_MAX_LENGTH, pattern=SAFE_TEXT_PATTERN)]
