"""The one pagination dependency every list route takes: `?limit=&offset=`, bounded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# A deep offset makes the database walk and discard every row before it; past this, a client
# should narrow its filter instead.
MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    offset: int


async def page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="The most items to return")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Items to skip, for the next pages")
    ] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


PageRequestDep = Annotated[PageRequest, Depends(page_request)]
