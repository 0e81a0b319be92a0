from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bootstrap.settings import AppSettings
from app.core.config import PASSWORD_MIN_LENGTH_FLOOR
from app.core.password_hashing import PasswordHasher
from app.models.user import User
from app.schemas.password import PASSWORD_MAX_LENGTH
from tests.support import PASSWORD, client_for, started_app, user_payload

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
TOKEN = "/api/v1/auth/token"


async def test_register_creates_a_user_without_exposing_the_password(client: AsyncClient) -> None:
    response = await client.post(REGISTER, json=user_payload())

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "test@example.com"
    assert body["username"] == "testuser"
    assert body["is_active"] is True
    assert body["role"] == "user"
    assert set(body) == {
        "id",
        "email",
        "username",
        "role",
        "is_active",
        "created_at",
        "email_verified_at",
    }
    assert PASSWORD not in response.text


async def test_register_normalizes_email_and_username_case(client: AsyncClient) -> None:
    response = await client.post(
        REGISTER, json=user_payload(email="Mixed.Case@Example.COM", username="MixedCase")
    )

    assert response.status_code == 201
    assert response.json()["email"] == "mixed.case@example.com"
    assert response.json()["username"] == "mixedcase"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "someone-else"}, "email"),
        ({"email": "other@example.com", "username": "TESTUSER"}, "username"),
    ],
)
async def test_register_refuses_a_taken_email_or_username(
    client: AsyncClient, registered_user: dict[str, Any], overrides: dict[str, str], field: str
) -> None:
    response = await client.post(REGISTER, json=user_payload(**overrides))

    assert response.status_code == 409
    assert response.json()["detail"] == f"A user with this {field} already exists"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "Sec1"}, "password"),  # too short
        ({"password": "S1" + "x" * 200}, "password"),  # too long
        ({"password": "Password1"}, "password"),  # common
        ({"password": "A1" + "\x00" * 6}, "password"),  # control characters
        ({"email": "not-an-email"}, "email"),
        ({"username": "ab"}, "username"),
        ({"username": "bad name!"}, "username"),
    ],
)
async def test_register_refuses_invalid_input_without_echoing_it(
    client: AsyncClient, overrides: dict[str, str], field: str
) -> None:
    payload = user_payload(**overrides)

    response = await client.post(REGISTER, json=payload)

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [["body", field]]
    assert set(errors[0]) == {"loc", "msg", "type"}
    assert payload["password"] not in response.text


async def test_register_refuses_a_body_that_is_not_json(client: AsyncClient) -> None:
    response = await client.post(
        REGISTER, content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_login_returns_a_short_lived_bearer_token_and_a_refresh_token(
    client: AsyncClient, registered_user: dict[str, Any]
) -> None:
    response = await client.post(LOGIN, json={"username": "testuser", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["access_token"].count(".") == 2
    assert body["refresh_expires_in"] == 14 * 24 * 3600
    assert len(body["refresh_token"]) == 43


async def test_login_accepts_the_email_address(
    client: AsyncClient, registered_user: dict[str, Any]
) -> None:
    response = await client.post(LOGIN, json={"username": "TEST@example.com", "password": PASSWORD})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "testuser", "password": "WrongPass123"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
async def test_login_failures_are_indistinguishable_401s(
    client: AsyncClient, registered_user: dict[str, Any], credentials: dict[str, str]
) -> None:
    response = await client.post(LOGIN, json=credentials)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "Incorrect username or password"


async def test_token_endpoint_accepts_the_oauth2_password_form(
    client: AsyncClient, registered_user: dict[str, Any]
) -> None:
    # As the docs' Authorize button posts it: grant type, empty scope, no client credentials.
    form = {"grant_type": "password", "username": "testuser", "password": PASSWORD, "scope": ""}
    ok = await client.post(TOKEN, data=form)
    refused = await client.post(TOKEN, data={"username": "testuser", "password": "Nope12345"})

    assert ok.status_code == 200
    assert ok.json()["token_type"] == "bearer"
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "form",
    [
        {"username": "testuser", "password": "P1" * 5000},  # longer than registration allows
        {"username": "test\x00user", "password": PASSWORD},
        {"username": "testuser", "password": PASSWORD, "grant_type": "client_credentials"},
    ],
)
async def test_token_endpoint_refuses_an_invalid_form_unhashed(
    client: AsyncClient, registered_user: dict[str, Any], form: dict[str, str]
) -> None:
    response = await client.post(TOKEN, data=form)

    assert response.status_code == 422
    assert set(response.json()) == {"detail", "request_id"}
    assert form["password"] not in response.text


async def test_json_login_refuses_an_oversized_password_as_invalid_input(
    client: AsyncClient,
) -> None:
    response = await client.post(LOGIN, json={"username": "testuser", "password": "P1" * 5000})

    assert response.status_code == 422
    assert "P1P1" not in response.text


async def test_a_login_past_the_hashing_queue_is_a_quick_503_with_retry_after(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One slot and no queue: while one login hashes, the next is refused instead of waiting.
    hasher = PasswordHasher(
        time_cost=1, memory_cost_kib=1024, parallelism=1, concurrency=1, queue_limit=0
    )
    await hasher.prepare()
    app.state.password_hasher = hasher
    release = threading.Event()
    started = threading.Event()

    def held_verify(password: str, hashed: str) -> tuple[bool, None]:
        started.set()
        release.wait(timeout=10)  # bounded: a failing test must not hang the suite
        return False, None

    monkeypatch.setattr(hasher._context, "verify_and_update", held_verify)
    credentials = {"username": "nobody", "password": PASSWORD}
    async with anyio.create_task_group() as group:
        first: list[int] = []

        async def hashing_login() -> None:
            first.append((await client.post(LOGIN, json=credentials)).status_code)

        group.start_soon(hashing_login)
        await anyio.to_thread.run_sync(started.wait, 10)
        refused = await client.post(LOGIN, json=credentials)
        release.set()

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {
        "detail": "Service temporarily unavailable",
        "request_id": refused.headers["x-request-id"],
    }
    assert first == [401]


async def test_register_accepts_a_long_password_without_composition_rules(
    client: AsyncClient,
) -> None:
    response = await client.post(
        REGISTER, json=user_payload(password="correct horse battery staple")
    )

    assert response.status_code == 201, response.text


async def test_register_lists_every_broken_password_rule_in_one_error(
    client: AsyncClient,
) -> None:
    # Too short, common ("pass" once the NUL is dropped) and holding a control character.
    payload = user_payload(password="pass\x00")

    response = await client.post(REGISTER, json=payload)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert error["type"] == "password_policy"
    for rule in ("at least 15 characters", "control characters", "most common passwords"):
        assert rule in error["msg"]
    assert "pass\\u0000" not in response.text  # the password, as JSON would spell it


@pytest.mark.parametrize("password", ["password1", "PASSWORD1", "PaSsWoRd1", "Qwertyuiop"])
async def test_register_refuses_common_passwords_whatever_their_case(
    client: AsyncClient, password: str
) -> None:
    response = await client.post(REGISTER, json=user_payload(password=password))

    assert response.status_code == 422
    assert "most common passwords" in response.json()["detail"][0]["msg"]


async def test_the_password_rules_are_in_the_openapi_schema(app: FastAPI) -> None:
    password = app.openapi()["components"]["schemas"]["UserCreate"]["properties"]["password"]

    # The least any setting allows; the minimum in force is in the description.
    assert password["minLength"] == PASSWORD_MIN_LENGTH_FLOOR
    assert password["maxLength"] == PASSWORD_MAX_LENGTH
    for rule in ("PASSWORD_MIN_LENGTH", "15", "common passwords", "control characters"):
        assert rule in password["description"]
    assert "username" in password["description"]


@pytest.mark.parametrize("password", ["weakpass", "fourteen chars"])
async def test_register_refuses_a_password_under_15_characters(
    client: AsyncClient, password: str
) -> None:
    response = await client.post(REGISTER, json=user_payload(password=password))

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error == {
        "loc": ["body", "password"],
        "msg": "Password must have at least 15 characters",
        "type": "password_policy",
    }
    assert password not in response.text


async def test_register_accepts_15_characters(client: AsyncClient) -> None:
    response = await client.post(REGISTER, json=user_payload(password="fifteen chars!!"))

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("email", "username", "password", "rule"),
    [
        ("m@example.com", "marigold", "my MariGold garden 1987", "must not contain the username"),
        (
            "juniper.w@example.com",
            "jw-user",
            "Juniper.W likes long walks",
            "must not contain the part of the e-mail address before the @",
        ),
    ],
)
async def test_register_refuses_a_password_holding_the_username_or_the_local_part(
    client: AsyncClient, email: str, username: str, password: str, rule: str
) -> None:
    payload = user_payload(email=email, username=username, password=password)

    response = await client.post(REGISTER, json=payload)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "password"], "password_policy")
    assert error["msg"] == f"Password {rule}"
    assert password not in response.text


async def test_a_username_or_local_part_under_4_characters_may_be_in_the_password(
    client: AsyncClient,
) -> None:
    payload = user_payload(email="bob@example.com", username="bob", password="bob builds bridges")

    response = await client.post(REGISTER, json=payload)

    assert response.status_code == 201, response.text


async def test_password_min_length_is_a_setting(
    settings: AppSettings, migrated_engine: AsyncEngine
) -> None:
    stricter = settings.model_copy(update={"PASSWORD_MIN_LENGTH": 20})
    async with started_app(stricter) as application, client_for(application) as client:
        short = await client.post(REGISTER, json=user_payload(password="nineteen characters"))
        long_enough = await client.post(
            REGISTER, json=user_payload(password="twenty characters ok")
        )

    assert short.status_code == 422
    assert "at least 20 characters" in short.json()["detail"][0]["msg"]
    assert long_enough.status_code == 201, long_enough.text


async def test_a_password_is_normalised_nfkc_so_either_form_logs_in(client: AsyncClient) -> None:
    # Fullwidth letters and a ligature: NFKC makes them "fixed fullwidth passphrase".
    typed = "\ufb01xed \uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 passphrase"
    registered = await client.post(REGISTER, json=user_payload(password=typed))
    assert registered.status_code == 201, registered.text

    for password in (typed, "fixed fullwidth passphrase"):
        response = await client.post(LOGIN, json={"username": "testuser", "password": password})
        assert response.status_code == 200, response.text
    wrong = await client.post(
        LOGIN, json={"username": "testuser", "password": "fixed fullwidth passphrasE"}
    )
    assert wrong.status_code == 401


async def _store_hash(engine: AsyncEngine, hashed_password: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(update(User).values(hashed_password=hashed_password))


async def _stored_hash(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        stored = (await connection.execute(select(User.hashed_password))).scalar_one()
    assert stored is not None
    return stored


async def test_a_password_stored_under_the_old_policy_still_logs_in(
    app: FastAPI, client: AsyncClient, migrated_engine: AsyncEngine, registered_user: object
) -> None:
    # Eight characters, as the earlier policy allowed.
    await _store_hash(migrated_engine, await app.state.password_hasher.hash("weakpass"))

    response = await client.post(LOGIN, json={"username": "testuser", "password": "weakpass"})

    assert response.status_code == 200, response.text


async def test_a_password_hashed_before_normalisation_logs_in_and_is_rehashed_nfkc(
    app: FastAPI, client: AsyncClient, migrated_engine: AsyncEngine, registered_user: object
) -> None:
    typed = "\ufb01ne old passphrase"  # a ligature: NFKC makes it "fine old passphrase"
    # The hash of the password as typed, as stored before passwords were normalised.
    legacy = app.state.password_hasher._context.hash(typed)
    await _store_hash(migrated_engine, legacy)
    normalized = {"username": "testuser", "password": "fine old passphrase"}

    assert (await client.post(LOGIN, json=normalized)).status_code == 401
    response = await client.post(LOGIN, json={"username": "testuser", "password": typed})

    assert response.status_code == 200, response.text
    assert await _stored_hash(migrated_engine) != legacy
    # Rehashed in NFKC form: the normalised spelling logs in now, and the typed one still does.
    assert (await client.post(LOGIN, json=normalized)).status_code == 200
    again = await client.post(LOGIN, json={"username": "testuser", "password": typed})
    assert again.status_code == 200


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0430lice@example.com",  # a Cyrillic "a"
        "\uff41lice@example.com",  # a fullwidth "a"
        "ALICE@example.com",  # case
        "alice@ex\u0430mple.com",  # a Cyrillic "a" in the domain
        "alic\u0435@example.com",  # a Cyrillic "e"
        "al\u0131ce@example.com",  # a dotless "i"
        "alice\u0301@example.com",  # a combining acute accent
        "a\u0308lice@example.com",  # a combining diaeresis
    ],
)
async def test_an_address_that_looks_like_a_registered_one_is_refused(
    client: AsyncClient, lookalike: str
) -> None:
    first = await client.post(REGISTER, json=user_payload(email="alice@example.com"))
    assert first.status_code == 201, first.text

    response = await client.post(REGISTER, json=user_payload(email=lookalike, username="impostor"))

    assert response.status_code == 409, response.text
    assert "email" in response.json()["detail"]


async def test_addresses_that_only_differ_in_ascii_are_different_accounts(
    client: AsyncClient,
) -> None:
    # "rn" and "m", "1" and "l" look alike in some fonts, but are real, different mailboxes.
    for number, email in enumerate(
        ["arnie@example.com", "amie@example.com", "bill1@example.com", "billl@example.com"]
    ):
        response = await client.post(
            REGISTER, json=user_payload(email=email, username=f"person{number}")
        )
        assert response.status_code == 201, response.text
