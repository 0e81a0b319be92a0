from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.schemas.text import SafeStr

Title = Annotated[SafeStr, Field(min_length=1, max_length=200)]
Description = Annotated[SafeStr, Field(max_length=2000)]


class ItemCreate(BaseModel):
    title: Title
    description: Description | None = None


class ItemUpdate(BaseModel):
    """Fields left out stay as they are; `description: null` clears it."""

    title: Title | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def title_is_not_cleared(self) -> ItemUpdate:
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null: leave it out to keep it")
        return self


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str | None
    created_at: datetime
    updated_at: datetime
