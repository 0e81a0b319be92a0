from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import CurrentUser
from app.schemas.error import ErrorResponse
from app.schemas.user import UserRead

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", responses={status.HTTP_401_UNAUTHORIZED: {"model": ErrorResponse}})
async def read_current_user(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)
