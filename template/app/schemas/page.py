"""One page of a list, with what a client needs to ask for the next one."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT")


# Generic[...] rather than `class Page[ItemT]`: the service may target Python 3.11.
class Page(BaseModel, Generic[ItemT]):  # noqa: UP046, RUF100
    items: list[ItemT]
    total: int = Field(description="Items matching the request, on every page together")
    limit: int = Field(description="The most items a page holds")
    offset: int = Field(description="Items skipped before this page")
