"""Request heads bounded in size, field count and time, and bodies in time, by the protocol the
service is served with (app/bootstrap/http_protocol.py), over real sockets: the app behind it is
the test app."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI, Request
from uvicorn.importer import import_from_string
from uvicorn.server import ServerState

from app.bootstrap.gunicorn_conf import Worker
from app.bootstrap.http_protocol import HeadLimits, LimitedHttpToolsProtocol, protocol_with
from app.bootstrap.settings import AppSettings, get_settings
from app.core.config_loading import ConfigurationError, load_settings
from tests.support import PROJECT_ROOT, log_records

# Bounds every wait for the server, so a broken limit fails the test instead of hanging it.
WAIT_SECONDS = 5
# Time enough for any head these tests send whole, on the busiest machine.
LIMITS = HeadLimits(max_bytes=4096, max_fields=20, timeout_seconds=WAIT_SECONDS)
# For the tests of the timeout itself.
QUICK = dataclasses.replace(LIMITS, timeout_seconds=0.3)
QUICK_BODY_SECONDS = 0.3
PROTOCOL = "app.bootstrap.http_protocol:LimitedHttpToolsProtocol"
# A route of the app with a JSON body, which it reads before checking the bearer.
ITEMS = "/api/v1/items"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        return dict(json.loads(self.body))


@asynccontextmanager
async def serving(
    app: FastAPI, protocol: type[LimitedHttpToolsProtocol] = protocol_with(LIMITS)
) -> AsyncIterator[int]:
    """The app served on a free loopback port, as uvicorn serves it; yields the port."""
    config = uvicorn.Config(app, lifespan="off", log_config=None)
    config.load()
    state = ServerState()
    server = await asyncio.get_running_loop().create_server(
        lambda: protocol(config=config, server_state=state, app_state={}), "127.0.0.1", 0
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for connection in list(state.connections):
            connection.shutdown()
        server.close()
        await asyncio.wait_for(server.wait_closed(), WAIT_SECONDS)


@pytest.fixture
async def port(app: FastAPI) -> AsyncIterator[int]:
    async with serving(app) as bound:
        yield bound


@pytest.fixture
async def quick_port(app: FastAPI) -> AsyncIterator[int]:
    """Served with QUICK's header timeout."""
    async with serving(app, protocol_with(QUICK)) as bound:
        yield bound


@pytest.fixture
async def quick_body_port(app: FastAPI) -> AsyncIterator[int]:
    """Served with QUICK_BODY_SECONDS for a body, and time enough for every head."""
    async with serving(app, protocol_with(LIMITS, QUICK_BODY_SECONDS)) as bound:
        yield bound


@asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        # The server may reset it: it closes with bytes of ours unread.
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def send(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send what the server still reads: it may close the connection before the end."""
    with contextlib.suppress(ConnectionError):
        writer.write(data)
        await writer.drain()


async def answer(reader: asyncio.StreamReader) -> Answer:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_SECONDS)
    status_line, *fields = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, value in (field.split(":", 1) for field in fields)
    }
    length = int(headers.get("content-length", "0"))
    body = await asyncio.wait_for(reader.readexactly(length), WAIT_SECONDS)
    return Answer(int(status_line.split()[1]), headers, body)


async def closed(reader: asyncio.StreamReader) -> bool:
    """The server closed the connection: nothing more comes."""
    try:
        return await asyncio.wait_for(reader.read(), WAIT_SECONDS) == b""
    except ConnectionError:
        return True


def request(path: str = "/health", fields: list[tuple[str, str]] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: test", *(f"{n}: {v}" for n, v in fields or [])]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def item(title: str = "a note") -> bytes:
    """A new item's JSON body."""
    return json.dumps({"title": title, "description": "sent over a real socket"}).encode()


def authorization(headers: dict[str, str]) -> str:
    """The header line of a bearer header, for `post_head`'s `extra`."""
    return f"Authorization: {headers['Authorization']}\r\n"


def post_head(path: str, length: int, method: str = "POST", extra: str = "") -> bytes:
    """The head of a request whose body is `length` bytes of JSON; `extra`: more header lines."""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


async def dribble(writer: asyncio.StreamWriter, data: bytes, every_seconds: float = 0.05) -> None:
    """`data` a byte at a time; stops when the server closes the connection."""
    for index in range(len(data)):
        if writer.is_closing():
            return
        await send(writer, data[index : index + 1])
        await asyncio.sleep(every_seconds)


async def answer_while_dribbling(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> Answer:
    """The answer that comes while `data` is still being dribbled; the connection must then be
    closed."""
    dribbling = asyncio.create_task(dribble(writer, data))
    try:
        answered = await answer(reader)
        assert await closed(reader)
    finally:
        dribbling.cancel()
    return answered


@pytest.mark.slow  # waits out the header timeout
async def test_requests_within_the_limits_are_served_on_a_kept_alive_connection(
    quick_port: int,
) -> None:
    async with connection(quick_port) as (reader, writer):
        await send(writer, request())
        first = await answer(reader)
        # Past the first head's deadline: the next request's headers get their own time.
        await asyncio.sleep(QUICK.timeout_seconds + 0.1)
        await send(writer, request(fields=[("X-Fill", "a" * (LIMITS.max_bytes // 2))]))
        second = await answer(reader)

    assert (first.status, second.status) == (200, 200)


async def test_an_oversized_header_is_refused_with_431_before_it_ends(
    port: int, json_log: io.StringIO
) -> None:
    async with connection(port) as (reader, writer):
        # Never finished: the server must not wait for the end of it.
        await send(writer, b"GET /health HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 65536)
        refused = await answer(reader)
        assert await closed(reader)

    assert refused.status == 431
    assert refused.headers["content-type"] == "application/json"
    assert refused.headers["connection"] == "close"
    assert refused.json() == {
        "detail": f"Request line and headers larger than {LIMITS.max_bytes} bytes",
        "request_id": refused.headers["x-request-id"],
    }
    [line] = [r for r in log_records(json_log) if r["logger"] == "app.bootstrap.http_protocol"]
    assert line["request_id"] == refused.headers["x-request-id"]
    assert line["status"] == 431


async def test_an_oversized_head_arriving_whole_is_refused_with_431(port: int) -> None:
    fields = [(f"X-Field-{index}", "a" * 400) for index in range(LIMITS.max_fields - 5)]
    async with connection(port) as (reader, writer):
        await send(writer, request(fields=fields))
        refused = await answer(reader)
        assert await closed(reader)

    assert len(request(fields=fields)) > LIMITS.max_bytes
    assert refused.status == 431


async def test_an_oversized_request_target_is_refused_with_431(port: int) -> None:
    async with connection(port) as (reader, writer):
        await send(writer, request("/health?" + "q" * LIMITS.max_bytes))
        refused = await answer(reader)

    assert refused.status == 431


async def test_too_many_header_fields_are_refused_with_431(port: int) -> None:
    fields = [(f"X-Field-{index}", "1") for index in range(LIMITS.max_fields + 1)]
    async with connection(port) as (reader, writer):
        await send(writer, request(fields=fields))
        refused = await answer(reader)
        assert await closed(reader)

    assert refused.status == 431
    assert refused.json()["detail"] == f"More than {LIMITS.max_fields} request header fields"


@pytest.mark.slow  # waits out the header timeout
async def test_headers_dribbled_past_the_timeout_are_refused_with_408(quick_port: int) -> None:
    async with connection(quick_port) as (reader, writer):
        await send(writer, b"GET /health HTTP/1.1\r\nHost: test\r\n")
        # One byte every 50 ms of a header that never ends.
        endless_header = b"X" * round(WAIT_SECONDS / 0.05)
        refused = await answer_while_dribbling(reader, writer, endless_header)

    assert refused.status == 408
    assert refused.json()["detail"] == "Request headers not received in time"


@pytest.mark.slow  # waits out the header timeout
async def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    quick_port: int,
) -> None:
    async with connection(quick_port) as (reader, _writer):
        assert await asyncio.wait_for(reader.read(), WAIT_SECONDS) == b""


@pytest.mark.slow  # waits out the body timeout
async def test_a_body_dribbled_past_the_timeout_is_refused_with_408(
    quick_body_port: int, json_log: io.StringIO
) -> None:
    body = item()
    async with connection(quick_body_port) as (reader, writer):
        await send(writer, post_head(ITEMS, len(body)) + body[:5])
        # A byte every 50 ms: far longer in all than the timeout, never idle for long.
        refused = await answer_while_dribbling(reader, writer, body[5:])

    assert refused.status == 408
    assert refused.headers["content-type"] == "application/json"
    assert refused.headers["connection"] == "close"
    assert refused.json() == {
        "detail": "Request body not received in time",
        "request_id": refused.headers["x-request-id"],
    }
    records = log_records(json_log)
    [line] = [r for r in records if r["logger"] == "app.bootstrap.http_protocol"]
    assert (line["request_id"], line["status"]) == (refused.headers["x-request-id"], 408)
    # The app, left waiting for the rest, saw the client leave: no error of its own, and its
    # access line is found under the refusal's request id.
    assert [r for r in records if r["level"] == "ERROR"] == []
    [access] = [r for r in records if r["logger"] == "app.access"]
    assert access["request_id"] == line["request_id"]


@pytest.mark.slow  # waits out the body timeout
async def test_a_body_the_app_answered_without_does_not_hold_the_connection(
    quick_body_port: int,
) -> None:
    async with connection(quick_body_port) as (reader, writer):
        # /health reads no body: it answers at once, and the rest never comes whole.
        await send(writer, post_head("/health", 1000, method="GET") + b"{")
        answered = await answer_while_dribbling(reader, writer, b" " * 999)

    assert answered.status == 200


@pytest.mark.slow  # sends bodies in pieces
async def test_bodies_within_the_timeout_are_served_on_a_kept_alive_connection(
    quick_body_port: int, auth_headers: dict[str, str]
) -> None:
    first, second = item("first"), item("second")
    signed_in = authorization(auth_headers)
    async with connection(quick_body_port) as (reader, writer):
        await send(writer, post_head(ITEMS, len(first), extra=signed_in))
        for piece in (first[:10], first[10:20], first[20:]):
            await asyncio.sleep(QUICK_BODY_SECONDS / 5)
            await send(writer, piece)
        created = await answer(reader)
        # Past the first body's deadline: the next one gets its own time.
        await asyncio.sleep(QUICK_BODY_SECONDS)
        await send(writer, post_head(ITEMS, len(second), extra=signed_in))
        await asyncio.sleep(QUICK_BODY_SECONDS / 2)
        await send(writer, second)
        also_created = await answer(reader)

    assert (created.status, also_created.status) == (201, 201)


@pytest.fixture
def late_reader(app: FastAPI) -> str:
    """A route of the app that reads its body three body timeouts after it is called."""

    async def read_late(request: Request) -> dict[str, int]:
        await asyncio.sleep(QUICK_BODY_SECONDS * 3)
        return {"bytes": len(await request.body())}

    app.add_api_route("/read-late", read_late, methods=["POST"])
    return "/read-late"


@pytest.mark.slow  # waits past the body timeout
async def test_time_the_app_leaves_a_body_unread_is_not_the_clients(
    late_reader: str, quick_body_port: int
) -> None:
    """A body larger than the server's read buffer, sent at once: the server stops reading
    until the app reads, so the body is whole only when the app wants it."""
    body = b"x" * 500_000
    async with connection(quick_body_port) as (reader, writer):
        sending = asyncio.create_task(send(writer, post_head(late_reader, len(body)) + body))
        served = await answer(reader)
        await sending

    assert served.status == 200
    assert served.json() == {"bytes": len(body)}


@pytest.mark.slow  # waits past the body timeout
async def test_a_client_waiting_for_100_continue_is_not_late(
    late_reader: str, quick_body_port: int
) -> None:
    body = b"x" * 100
    async with connection(quick_body_port) as (reader, writer):
        await send(writer, post_head(late_reader, len(body), extra="Expect: 100-continue\r\n"))
        go_ahead = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_SECONDS)
        await send(writer, body)
        served = await answer(reader)

    assert go_ahead == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert served.status == 200
    assert served.json() == {"bytes": len(body)}


@pytest.mark.slow  # waits past the body timeout
async def test_a_client_told_to_continue_between_two_checks_has_its_time_from_then(
    app: FastAPI,
) -> None:
    """The app asks for the body between two checks of the deadline: the client, which could
    not send before 100 Continue, has its whole body time from then, not what is left until
    the next check."""
    body_seconds = 1.0

    async def read_after(request: Request) -> dict[str, int]:
        await asyncio.sleep(body_seconds * 2.5)  # halfway between the third and fourth check
        return {"bytes": len(await request.body())}

    app.add_api_route("/read-after", read_after, methods=["POST"])
    body = b"x" * 100
    async with (
        serving(app, protocol_with(LIMITS, body_seconds)) as port,
        connection(port) as (reader, writer),
    ):
        head = post_head("/read-after", len(body), extra="Expect: 100-continue\r\n")
        await send(writer, head)
        go_ahead = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_SECONDS)
        # Past the next check (at three body times), well within the time from the go-ahead.
        await asyncio.sleep(body_seconds * 0.6)
        await send(writer, body)
        served = await answer(reader)

    assert go_ahead == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert served.status == 200
    assert served.json() == {"bytes": len(body)}


async def test_a_body_larger_than_the_header_limit_is_not_refused_by_it(
    port: int, auth_headers: dict[str, str]
) -> None:
    body = item() + b" " * (LIMITS.max_bytes * 4)
    async with connection(port) as (reader, writer):
        await send(writer, post_head(ITEMS, len(body), extra=authorization(auth_headers)) + body)
        created = await answer(reader)

    assert created.status == 201


async def test_a_request_the_parser_cannot_read_is_refused_with_400(port: int) -> None:
    async with connection(port) as (reader, writer):
        await send(writer, b"NOT HTTP AT ALL\r\n\r\n")
        refused = await answer(reader)
        assert await closed(reader)

    assert refused.status == 400
    assert refused.json()["detail"] == "Invalid HTTP request"


async def test_a_pipelined_oversized_request_never_lands_inside_an_earlier_response(
    port: int,
) -> None:
    oversized = request(fields=[("X-Big", "a" * LIMITS.max_bytes)])
    async with connection(port) as (reader, writer):
        await send(writer, request() + oversized)
        first = await answer(reader)
        rest = await asyncio.wait_for(reader.read(), WAIT_SECONDS)

    assert first.status == 200
    # The earlier response whole, then either the refusal or the connection closed.
    assert rest == b"" or rest.startswith(b"HTTP/1.1 431 ")


def test_the_limits_are_the_settings() -> None:
    settings = get_settings().model_copy(
        update={
            "HTTP_MAX_HEADER_BYTES": 2048,
            "HTTP_MAX_HEADERS": 30,
            "HTTP_HEADER_TIMEOUT_SECONDS": 1.5,
        }
    )

    assert HeadLimits.from_settings(settings) == HeadLimits(2048, 30, 1.5)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HTTP_MAX_HEADER_BYTES", "100"),
        ("HTTP_MAX_HEADERS", "0"),
        ("HTTP_HEADER_TIMEOUT_SECONDS", "0"),
        ("HTTP_BODY_TIMEOUT_SECONDS", "0"),
        ("HTTP_BODY_TIMEOUT_SECONDS", "3601"),
    ],
)
def test_a_limit_out_of_bounds_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigurationError) as raised:
        load_settings("test", AppSettings)

    assert variable in str(raised.value)
    assert "\n" not in str(raised.value)


async def test_served_as_configured_the_settings_set_the_limits(app: FastAPI) -> None:
    limit = get_settings().HTTP_MAX_HEADER_BYTES
    async with serving(app, LimitedHttpToolsProtocol) as bound, connection(bound) as streams:
        reader, writer = streams
        await send(writer, request(fields=[("X-Big", "a" * limit)]))
        refused = await answer(reader)

    assert refused.status == 431
    assert refused.json()["detail"] == f"Request line and headers larger than {limit} bytes"


def test_both_ways_of_serving_use_the_protocol() -> None:
    start = (PROJECT_ROOT / "scripts" / "start.sh").read_text()

    assert import_from_string(Worker.CONFIG_KWARGS["http"]) is LimitedHttpToolsProtocol
    assert f"--http {PROTOCOL} " in start
    assert import_from_string(PROTOCOL) is LimitedHttpToolsProtocol
