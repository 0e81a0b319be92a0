from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bootstrap.settings import AppSettings
from app.models.user import User
from tests.support import PASSWORD

ME = "/api/v1/users/me"


def _claims(subject: str, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
        "type": "access",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_me_returns_the_current_user(
    client: AsyncClient, auth_headers: dict[str, str], registered_user: dict[str, Any]
) -> None:
    response = await client.get(ME, headers=auth_headers)

    assert response.status_code == 200
    assert response.json() == registered_user


def _forged_headers(settings: AppSettings, user_id: str) -> dict[str, dict[str, str]]:
    key = settings.SECRET_KEY.get_secret_value()

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    valid = jwt.encode(_claims(user_id), key, algorithm="HS256")
    header, _payload, signature = valid.split(".")
    elevated = _claims(user_id, sub=str(uuid.uuid4()))
    return {
        "missing header": {},
        "other scheme": {"Authorization": "Basic dGVzdHVzZXI6cGFzcw=="},
        "empty bearer": {"Authorization": "Bearer "},
        "malformed": bearer("not-a-jwt"),
        "expired": bearer(
            jwt.encode(
                _claims(
                    user_id,
                    iat=datetime.now(UTC) - timedelta(hours=2),
                    exp=datetime.now(UTC) - timedelta(hours=1),
                ),
                key,
                algorithm="HS256",
            )
        ),
        "wrong key": bearer(
            jwt.encode(_claims(user_id), "another-key-" + "x" * 32, algorithm="HS256")
        ),
        "alg none": bearer(
            _b64({"alg": "none", "typ": "JWT"})
            + "."
            + _b64({k: str(v) for k, v in _claims(user_id).items()})
            + "."
        ),
        "other algorithm": bearer(jwt.encode(_claims(user_id), key, algorithm="HS512")),
        "tampered payload": bearer(f"{header}.{_b64(elevated)}.{signature}"),
        "wrong token type": bearer(jwt.encode(_claims(user_id, type="refresh"), key)),
        "missing exp": bearer(jwt.encode(_claims(user_id, exp=None), key)),
        "missing sub": bearer(jwt.encode(_claims(user_id, sub=None), key)),
        "subject not a uuid": bearer(jwt.encode(_claims("testuser"), key)),
        "unknown user": bearer(jwt.encode(_claims(str(uuid.uuid4())), key)),
    }


FAILURES = [
    "missing header",
    "other scheme",
    "empty bearer",
    "malformed",
    "expired",
    "wrong key",
    "alg none",
    "other algorithm",
    "tampered payload",
    "wrong token type",
    "missing exp",
    "missing sub",
    "subject not a uuid",
    "unknown user",
]


@pytest.mark.parametrize("failure", FAILURES)
async def test_every_authentication_failure_is_401_with_www_authenticate(
    client: AsyncClient,
    settings: AppSettings,
    registered_user: dict[str, Any],
    failure: str,
) -> None:
    headers = _forged_headers(settings, registered_user["id"])[failure]

    response = await client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == {"detail", "request_id"}


async def test_an_inactive_user_is_refused_with_401(
    client: AsyncClient,
    migrated_engine: AsyncEngine,
    auth_headers: dict[str, str],
) -> None:
    async with migrated_engine.begin() as connection:
        await connection.execute(update(User).values(is_active=False))

    me = await client.get(ME, headers=auth_headers)
    login = await client.post(
        "/api/v1/auth/login", json={"username": "testuser", "password": PASSWORD}
    )

    assert me.status_code == 401
    assert me.headers["www-authenticate"] == "Bearer"
    assert login.status_code == 401


async def test_the_openapi_document_declares_the_bearer_scheme_on_protected_routes(
    client: AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    assert document["paths"][ME]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
