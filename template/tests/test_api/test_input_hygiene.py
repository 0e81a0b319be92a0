"""No input reaches a 500: every string field of every operation (walked from the app's own
OpenAPI document, so each render's routes are covered; those of the service's own accounts in
test_input_hygiene_of_accounts.py, rendered with them), and what the database refuses.
Every claim of a well-signed token: test_input_hygiene_of_accounts.py (the service's own tokens),
test_provider_tokens.py (a provider's).

The template's own routes are held to its rule: every string field is bounded and refuses NUL
and unpaired surrogates with a 4xx. The service's own routes (any other module) are held to the
net alone, never a 500, so a `copier update` that brings this test cannot turn a team's suite
red over a route that was fine before; an unbounded field there is reported as a warning.

Run on PostgreSQL too (TEST_DATABASE_URL): only its text type refuses NUL.
"""

from __future__ import annotations

import io
import json
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient, Response
from sqlalchemy import bindparam, select
from sqlalchemy import exc as sa_exc

from app.api.deps import SessionDep
from app.bootstrap.settings import AppSettings
from app.db.reads import InvalidValueError, RowReader
from app.models.user import User
from tests.support import log_records

UNSAFE_VALUES = {"nul": "a\x00b", "lone surrogate": "a\ud800b"}
_VALID_TEXT = "walker-value-1"
# A password field's: long enough for the policy, holding neither the username (the text above)
# nor the address's local part ("walker").
_VALID_PASSWORD = "hygiene probe passphrase 7"
# Sent to a service field that declares no bound: twice the template's default one (a URL
# carrying more is refused by HTTP clients before it is sent).
_UNBOUNDED_PROBE_LENGTH = 20_000

# Modules of the routes only the service's own accounts have (walked by
# test_input_hygiene_of_accounts.py).
ACCOUNT_ROUTE_MODULES = frozenset(
    {"app.api.routes.account", "app.api.routes.auth", "app.api.routes.auth_mail"}
)
# Modules whose routes the template ships (a render has those its options and its kind of
# accounts pull in).
TEMPLATE_ROUTE_MODULES = ACCOUNT_ROUTE_MODULES | {
    "app.api.docs",
    "app.api.health",
    "app.api.routes.federated_users",
    "app.api.routes.items",
    "app.api.routes.notifications",
    "app.api.routes.reports",
    "app.api.routes.users",
}


class UnboundedFieldWarning(UserWarning):
    """A service route takes a string with no maxLength: give it `SafeStr`."""


@dataclass
class Operation:
    method: str
    path: str
    body_type: str | None = None  # "json" or "form"
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    # (where, name, max length or None) of every string field
    strings: list[tuple[str, str, int | None]] = field(default_factory=list)
    # The module that defines the endpoint.
    module: str = ""
    template_owned: bool = True


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _string_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    if schema.get("type") == "string":
        return schema
    for option in schema.get("anyOf", []):
        if option.get("type") == "string":
            return dict(option)
    return None


# Strings the schema parses into another type (or one of a few values): refused by that parse,
# never stored as text, so they are not probed as free text.
_PARSED_FORMATS = frozenset({"uuid", "date-time", "date", "time"})


def _is_parsed(schema: dict[str, Any]) -> bool:
    string = _string_schema(schema)
    return string is not None and (string.get("format") in _PARSED_FORMATS or "enum" in string)


def _valid_value(schema: dict[str, Any], name: str = "") -> Any:
    if "password" in name and _string_schema(schema) is not None:
        return _VALID_PASSWORD
    if schema.get("format") == "email":
        return "walker@example.com"
    string = _string_schema(schema)
    if string is not None and string.get("format") == "uuid":
        return str(uuid.uuid4())  # no such record: a 404, past every check of the value
    if string is not None and "enum" in string:
        return string["enum"][0]
    if _string_schema(schema) is not None:
        return _VALID_TEXT
    if schema.get("type") in ("integer", "number"):
        return 1
    if schema.get("type") == "boolean":
        return True
    return None


def _bound(schema: dict[str, Any]) -> int | None:
    string = _string_schema(schema)
    assert string is not None
    if string.get("format") == "email":
        return 320  # email-validator's own bound
    return int(string["maxLength"]) if "maxLength" in string else None


def route_modules(app: FastAPI) -> dict[tuple[str, str], str]:
    """(METHOD, path) of every operation to the module that defines its endpoint."""
    found = {}
    # The walk FastAPI's own OpenAPI document makes: included routers are not flattened.
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.endpoint and route.path_format:
            for method in route.methods or ():
                found[(method, route.path_format)] = route.endpoint.__module__
    return found


def operations(document: dict[str, Any], modules: dict[tuple[str, str], str]) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method, spec in item.items():
            operation = Operation(method=method.upper(), path=path)
            operation.module = modules.get((operation.method, path), "")
            operation.template_owned = operation.module in TEMPLATE_ROUTE_MODULES
            for parameter in spec.get("parameters", []):
                schema = _resolve(document, parameter.get("schema", {}))
                where, name = parameter["in"], parameter["name"]
                if where not in ("query", "path"):
                    continue
                target = operation.query if where == "query" else operation.path_params
                if parameter.get("required") or where == "path":
                    target[name] = str(_valid_value(schema)).lower()
                if _string_schema(schema) is not None and not _is_parsed(schema):
                    operation.strings.append((where, name, _bound(schema)))
            for media_type, content in spec.get("requestBody", {}).get("content", {}).items():
                operation.body_type = "json" if media_type == "application/json" else "form"
                schema = _resolve(document, content["schema"])
                required = set(schema.get("required", []))
                for name, property_schema in schema.get("properties", {}).items():
                    property_schema = _resolve(document, property_schema)
                    if name in required:
                        operation.body[name] = _valid_value(property_schema, name)
                    if _string_schema(property_schema) is not None and not _is_parsed(
                        property_schema
                    ):
                        operation.strings.append(("body", name, _bound(property_schema)))
            found.append(operation)
    return found


def _encode(value: str) -> str:
    # Percent-encoded UTF-8 as a client would send it; a surrogate goes as its raw bytes.
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _form(fields: dict[str, Any]) -> str:
    return "&".join(f"{name}={_encode(str(value))}" for name, value in fields.items())


async def send(
    client: AsyncClient,
    operation: Operation,
    headers: dict[str, str],
    where: str = "",
    **value: str,
) -> Response:
    """The operation with its valid values, and `value` in place of one at `where`."""
    body = {**operation.body, **(value if where == "body" else {})}
    query = {**operation.query, **(value if where == "query" else {})}
    url = operation.path
    for name, text in {**operation.path_params, **(value if where == "path" else {})}.items():
        url = url.replace("{" + name + "}", _encode(text))
    if query:
        url += "?" + _form(query)
    if operation.body_type == "json":
        content = json.dumps(body).encode()  # ensure_ascii: a surrogate goes as "\ud800"
        headers = {**headers, "Content-Type": "application/json"}
    elif operation.body_type == "form":
        content = _form(body).encode()
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    else:
        content = b""
    return await client.request(operation.method, url, content=content, headers=headers)


def assert_refused(response: Response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    assert set(response.json()) == {"detail", "request_id"}, what


def assert_no_server_error(response: Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        assert set(response.json()) == {"detail", "request_id"}, what


def _probes(operation: Operation, where: str, name: str, bound: int | None) -> dict[str, str]:
    if bound is None:
        assert not operation.template_owned, (
            f"{operation.method} {operation.path}: {where} field {name!r} has no maxLength:"
            " use SafeStr"
        )
        warnings.warn(
            f"{operation.method} {operation.path}: {where} field {name!r} has no maxLength;"
            " use SafeStr (app/schemas/text.py) so bad values are refused by name",
            UnboundedFieldWarning,
            stacklevel=2,
        )
        return {**UNSAFE_VALUES, "oversized": "x" * _UNBOUNDED_PROBE_LENGTH}
    return {**UNSAFE_VALUES, "oversized": "x" * (bound + 1)}


async def assert_string_fields_hold(
    client: AsyncClient, walked: list[Operation], headers: dict[str, str]
) -> None:
    """Every string field of `walked` refuses NUL, unpaired surrogates and oversized values
    (a template's route), or at least never answers them with a 500 (the service's own)."""
    for operation in walked:
        if not operation.strings:
            continue
        # The other fields are valid, so a refused value is the field's own doing, and an
        # accepted one would travel on to the service and the database.
        baseline = await send(client, operation, headers)
        assert baseline.status_code != 422, f"{operation.path}: {baseline.text}"
        for where, name, bound in operation.strings:
            for label, bad in _probes(operation, where, name, bound).items():
                response = await send(client, operation, headers, where, **{name: bad})
                what = f"{label} in {operation.method} {operation.path} {name}"
                if not operation.template_owned:
                    # The service's route: the net (the DataError handlers) must hold.
                    assert_no_server_error(response, what)
                elif label == "lone surrogate" and (
                    where != "body" or operation.body_type != "json"
                ):
                    # Only JSON can spell one; as bytes it is invalid UTF-8, which forms,
                    # queries and paths decode to U+FFFD: harmless text, never a 500.
                    assert response.status_code < 500, f"{what}: {response.text}"
                else:
                    assert_refused(response, what)


async def test_every_string_field_refuses_nul_surrogates_and_oversized_values(
    app: FastAPI, client: AsyncClient, admin_headers: dict[str, str]
) -> None:
    walked = [
        operation
        for operation in operations(app.openapi(), route_modules(app))
        if operation.module not in ACCOUNT_ROUTE_MODULES
    ]
    fields = {(op.path, name) for op in walked for _, name, _ in op.strings}
    # The walk sees the seed's fields; if it saw none it would prove nothing.
    assert ("/api/v1/users", "q") in fields
    assert ("/api/v1/items", "title") in fields
    # An admin's token: the admin-only routes check their values too, not only the role.
    await assert_string_fields_hold(client, walked, admin_headers)


def test_service_routes_are_held_to_the_net_and_template_routes_to_the_rule() -> None:
    document = {
        "paths": {
            "/api/v1/greetings": {
                "get": {
                    "parameters": [{"in": "query", "name": "name", "schema": {"type": "string"}}]
                }
            }
        }
    }
    served_by = {("GET", "/api/v1/greetings"): "app.api.routes.greetings"}
    [service_operation] = operations(document, served_by)
    assert not service_operation.template_owned
    with pytest.warns(UnboundedFieldWarning, match="'name' has no maxLength"):
        probes = _probes(service_operation, "query", "name", None)
    assert len(probes["oversized"]) == _UNBOUNDED_PROBE_LENGTH
    served_by = {("GET", "/api/v1/greetings"): "app.api.routes.users"}
    [template_operation] = operations(document, served_by)
    with pytest.raises(AssertionError, match="has no maxLength: use SafeStr"):
        _probes(template_operation, "query", "name", None)


@pytest.mark.parametrize(
    "error",
    [
        sa_exc.DataError("INSERT ...", {}, Exception("invalid byte sequence")),
        asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence for encoding"),
        asyncpg.exceptions.NumericValueOutOfRangeError("value out of range"),
        InvalidValueError("a bound value is not valid text"),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_a_value_the_database_refuses_is_a_400_logged_in_one_line(
    app: FastAPI, client: AsyncClient, json_log: io.StringIO, error: Exception
) -> None:
    async def refused() -> None:
        raise error

    app.add_api_route("/refused", refused)

    response = await client.get("/refused")

    assert response.status_code == 400
    request_id = response.headers["x-request-id"]
    assert response.json() == {"detail": "Invalid value", "request_id": request_id}
    warnings = [r for r in log_records(json_log) if r["message"].startswith("invalid value")]
    assert len(warnings) == 1
    assert warnings[0]["level"] == "WARNING"
    assert "exc_info" not in warnings[0]
    assert not [r for r in log_records(json_log) if r["level"] in ("ERROR", "CRITICAL")]


_USER_BY_NAME = select(User.id).where(User.username == bindparam("name"))


@pytest.mark.parametrize("path", ["row-reader", "session"])
@pytest.mark.parametrize("value", list(UNSAFE_VALUES.values()), ids=list(UNSAFE_VALUES))
async def test_the_real_driver_refusing_a_value_is_never_a_500(
    app: FastAPI, client: AsyncClient, settings: AppSettings, value: str, path: str
) -> None:
    """Past the schemas (a route a team adds with a plain `str`): the net holds on the
    RowReader's direct asyncpg path and on SQLAlchemy's."""
    reader: RowReader = app.state.row_reader

    async def row_reader() -> dict[str, Any] | None:
        return await reader.first(_USER_BY_NAME, name=value)

    async def session(session: SessionDep) -> str | None:
        found = await session.scalar(_USER_BY_NAME, {"name": value})
        return None if found is None else str(found)

    app.add_api_route("/lookup", row_reader if path == "row-reader" else session)

    response = await client.get("/lookup")

    on_postgresql = settings.DATABASE_URL.startswith("postgresql")
    if on_postgresql or value != UNSAFE_VALUES["nul"]:
        assert response.status_code == 400, response.text
        assert response.json()["detail"] == "Invalid value"
    else:  # SQLite stores NUL in text
        assert response.status_code == 200
