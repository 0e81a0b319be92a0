"""One access line per request, written by the app (uvicorn's own is off): status, duration, id."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from starlette.types import Receive, Scope, Send

from app.bootstrap.settings import AppSettings
from app.core.logging import LogFormat, setup_logging
from app.middleware.access_log import AccessLogMiddleware
from tests.support import client_for, log_records, started_app


def access_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [record for record in log_records(stream) if record["logger"] == "app.access"]


async def test_a_request_writes_one_access_line(client: AsyncClient, json_log: io.StringIO) -> None:
    response = await client.get("/health?token=do-not-log-me", headers={"X-Request-ID": "req-7"})

    assert response.status_code == 200
    [line] = access_lines(json_log)
    assert line["message"] == "GET /health 200"
    assert line["method"] == "GET"
    assert line["path"] == "/health"
    assert line["status"] == 200
    assert line["client"] == "127.0.0.1"
    assert line["request_id"] == "req-7" == response.headers["x-request-id"]
    assert isinstance(line["duration_ms"], float)
    assert 0 <= line["duration_ms"] < 60_000
    # The query string carries tokens and personal data: the service never writes it (httpx, the
    # test client, logs its own request line).
    service_records = [r for r in log_records(json_log) if r["logger"] != "httpx"]
    assert "do-not-log-me" not in json.dumps(service_records)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-route", 404),
        ("GET", "/api/v1/users/me", 401),
        ("POST", "/api/v1/items", 422),
        ("DELETE", "/health", 405),
        ("GET", "/explode", 500),
    ],
)
async def test_the_access_line_has_the_status_the_client_got(
    failing_app: FastAPI,
    client: AsyncClient,
    auth_headers: dict[str, str],
    json_log: io.StringIO,
    method: str,
    path: str,
    status: int,
) -> None:
    # Signed in for the body's sake only: anonymous, the item would be refused with 401 first.
    headers = auth_headers if method == "POST" else None
    # The lines of the requests that signed the user in are not this test's.
    json_log.seek(0)
    json_log.truncate()
    response = await client.request(
        method, path, json={} if method == "POST" else None, headers=headers
    )

    assert response.status_code == status
    [line] = access_lines(json_log)
    assert (line["method"], line["path"], line["status"]) == (method, path, status)
    assert line["request_id"] == response.headers["x-request-id"]


@pytest.fixture
def access_log_off() -> Iterator[None]:
    access = logging.getLogger("app.access")
    access.setLevel(logging.WARNING)
    yield
    access.setLevel(logging.NOTSET)


@pytest.mark.usefixtures("access_log_off")
async def test_the_access_line_can_be_turned_off_by_level(
    client: AsyncClient, json_log: io.StringIO
) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert access_lines(json_log) == []


class Recorded:
    """A request observer (app/core/hooks.py) that keeps what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, float]] = []

    def __call__(self, scope: Scope, status: int, seconds: float) -> None:
        self.seen.append((scope["method"], scope["path"], status, seconds))


async def answer_with_the_status_in_the_path(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/fails":
        raise RuntimeError("before any answer")
    await send({"type": "http.response.start", "status": int(scope["path"][1:]), "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_observers_get_each_answer_with_the_access_lines_status_and_clock(
    json_log: io.StringIO,
) -> None:
    observer = Recorded()
    stack = AccessLogMiddleware(answer_with_the_status_in_the_path, observers=[observer])
    transport = ASGITransport(app=stack, client=("127.0.0.1", 50000))
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.get("/200")
        await client.post("/404")
        with pytest.raises(RuntimeError, match="before any answer"):
            await client.get("/fails")

    assert [seen[:3] for seen in observer.seen] == [
        ("GET", "/200", 200),
        ("POST", "/404", 404),
        ("GET", "/fails", 500),
    ]
    lines = access_lines(json_log)
    assert [line["status"] for line in lines] == [200, 404, 500]
    for (*_, seconds), line in zip(observer.seen, lines, strict=True):
        assert line["duration_ms"] == round(seconds * 1000, 2)


@pytest.mark.usefixtures("access_log_off")
async def test_observers_are_told_with_the_access_line_turned_off(json_log: io.StringIO) -> None:
    observer = Recorded()
    stack = AccessLogMiddleware(answer_with_the_status_in_the_path, observers=[observer])
    transport = ASGITransport(app=stack, client=("127.0.0.1", 50000))
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.get("/204")

    assert [seen[:3] for seen in observer.seen] == [("GET", "/204", 204)]
    assert access_lines(json_log) == []


def test_uvicorn_has_nowhere_to_write_its_own_access_line() -> None:
    # uvicorn writes its access line only when its logger has a handler on its path.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.addHandler(logging.NullHandler())
    uvicorn_access.propagate = True

    setup_logging("INFO", "json")

    assert not uvicorn_access.hasHandlers()
    assert logging.getLogger("uvicorn.error").hasHandlers()


@pytest.fixture
def service_logging_restored(settings: AppSettings) -> Iterator[None]:
    """Afterwards, the service's handler writes where the other tests' apps write again, not to
    the output a test captured (closed when that test ends). Listed before `capsys` in a test's
    fixtures, so this is undone after it."""
    level = logging.getLogger().level
    yield
    setup_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    logging.getLogger().setLevel(level)


@pytest.mark.usefixtures("migrated_engine", "service_logging_restored")
@pytest.mark.parametrize("log_format", ["console", "json"])
async def test_the_service_writes_its_access_line_in_the_configured_format(
    settings: AppSettings, capsys: pytest.CaptureFixture[str], log_format: LogFormat
) -> None:
    configured = settings.model_copy(update={"LOG_FORMAT": log_format, "LOG_LEVEL": "INFO"})
    async with started_app(configured) as application, client_for(application) as client:
        response = await client.get("/health", headers={"X-Request-ID": "req-9"})

    assert response.status_code == 200
    # What the service's own handler wrote to standard output (httpx logs its request too).
    [line] = [line for line in capsys.readouterr().out.splitlines() if "app.access" in line]
    if log_format == "console":
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO     app\.access  GET /health 200  "
            r"request_id=req-9 method=GET path=/health status=200 duration_ms=\d+\.\d+ "
            r"client=127\.0\.0\.1",
            line,
        ), line
    else:
        record = json.loads(line)
        assert (record["logger"], record["message"]) == ("app.access", "GET /health 200")
        assert record["request_id"] == "req-9"
