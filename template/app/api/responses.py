"""Response helpers for routes: the error responses declared in the OpenAPI document (each written
once), the 401 a route raises, and the headers of responses that carry credentials."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response, status
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.schemas.error import ErrorResponse

Responses = dict[int | str, dict[str, Any]]


def error(status_code: int, description: str) -> Responses:
    return {status_code: {"model": ErrorResponse, "description": description}}


# Answers any operation may give, documented on every one so clients (and fuzzers) expect them.
ERROR_RESPONSES: Responses = {
    400: {"model": ErrorResponse, "description": "Malformed request (e.g. a body not in UTF-8)"},
    413: {"model": ErrorResponse, "description": "Request body over MAX_REQUEST_BODY_BYTES"},
    429: {"model": ErrorResponse, "description": "Rate limit exceeded (when rate limiting is on)"},
    500: {"model": ErrorResponse, "description": "Unexpected error; quote the request id"},
    503: {
        "model": ErrorResponse,
        "description": "A dependency (database, Redis) is unavailable, or too many password "
        "hashes are queued; retry after Retry-After",
    },
}
_ERROR_SCHEMA_REF = "#/components/schemas/ErrorResponse"


def document_error_responses(app: FastAPI) -> None:
    """ERROR_RESPONSES on every operation of `app`'s OpenAPI document, and the error body on each
    response a served route declared with it (`without_error_models`), added when the document
    is first built.

    Declared on the application (`FastAPI(responses=...)`) and left on the routes they would be
    the same in the document, but FastAPI builds a validator for each response model of each
    route when the route is created, though these only document: five and more per route, about
    half of the time creating an application took (the generated suite creates one per test;
    production, one per process at start).
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        first_build = app.openapi_schema is None
        document = build()
        if first_build:
            _add_error_responses(app, document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _add_error_responses(app: FastAPI, document: dict[str, Any]) -> None:
    paths: dict[str, Any] = document.get("paths", {})
    for route in app.routes:
        if not (isinstance(route, APIRoute) and route.include_in_schema):
            continue
        operations = paths.get(route.path_format, {})
        response_class = route.response_class
        if isinstance(response_class, DefaultPlaceholder):
            response_class = response_class.value
        # FastAPI documents a route's error models in the media type of its responses.
        media_type = getattr(response_class, "media_type", None) or "application/json"
        own_errors: frozenset[str] = getattr(route, "error_body_codes", frozenset())
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            for code in own_errors:
                content = operation["responses"][code].setdefault("content", {})
                schema = content.setdefault(media_type, {}).setdefault("schema", {})
                schema["$ref"] = _ERROR_SCHEMA_REF
            operation["responses"] = _with_error_responses(operation["responses"], media_type)
    components = document.setdefault("components", {})
    schemas = components.get("schemas", {})
    if "ErrorResponse" not in schemas:
        schemas["ErrorResponse"] = _error_response_schema()
        # FastAPI lists the schemas by name.
        components["schemas"] = dict(sorted(schemas.items()))


def _error_response_schema() -> dict[str, Any]:
    """ErrorResponse's schema as FastAPI writes it into a document (its own generator: key order,
    defaults), from a one-route document of its own."""

    async def answer() -> None:  # never called: the route is only documented
        return None

    route = APIRoute("/", answer, response_model=ErrorResponse)
    schema: dict[str, Any] = get_openapi(title="", version="", routes=[route])["components"][
        "schemas"
    ]["ErrorResponse"]
    return schema


def _with_error_responses(responses: dict[str, Any], media_type: str) -> dict[str, Any]:
    """The operation's responses with ERROR_RESPONSES where it declares none of its own for the
    code, in the order FastAPI writes application-wide ones: after the success response, before
    the route's own."""
    success, *others = responses.items()
    errors = {
        str(code): {
            "description": response["description"],
            "content": {media_type: {"schema": {"$ref": _ERROR_SCHEMA_REF}}},
        }
        for code, response in ERROR_RESPONSES.items()
    }
    own = dict(others)
    return {
        success[0]: success[1],
        **{code: own.pop(code, response) for code, response in errors.items()},
        **own,
    }


def without_error_models(responses: Responses) -> tuple[Responses, frozenset[str]]:
    """`responses` without the ErrorResponse model of the entries that name it, and their codes
    as the OpenAPI document writes them: `document_error_responses` documents that body for
    them, where FastAPI would build a validator on the route for each."""
    kept: Responses = {}
    codes: set[str] = set()
    for code, response in responses.items():
        if response.get("model") is ErrorResponse:
            kept[code] = {key: value for key, value in response.items() if key != "model"}
            # The key FastAPI gives it in the document.
            key = str(code).upper()
            codes.add("default" if key == "DEFAULT" else key)
        else:
            kept[code] = response
    return kept, frozenset(codes)


UNAUTHORIZED = error(
    status.HTTP_401_UNAUTHORIZED, "Missing, invalid or expired credentials (WWW-Authenticate)"
)
ADMIN_ONLY = {**UNAUTHORIZED, **error(status.HTTP_403_FORBIDDEN, "The caller is no admin")}


def field_refused(field: str, message: str, kind: str) -> RequestValidationError:
    """A 422 for a body field a rule beyond its schema refuses, shaped like any other validation
    error (the documented HTTPValidationError): at the body's `field`, of type `kind`."""
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": kind}])


def password_refused(error: Exception, field: str) -> RequestValidationError:
    """The 422 for a new password the policy refuses: type `password_policy`, naming every rule
    broken, never the password."""
    return field_refused(field, str(error), "password_policy")


async def no_store(response: Response) -> None:
    """For responses that carry credentials (tokens): no cache may keep them (RFC 6749 5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
