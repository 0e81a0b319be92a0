"""uvicorn's httptools protocol, with a request's line and headers bounded in size, count and time,
and its body in time.

httptools (uvicorn[standard]'s parser) takes headers of any size, any number of them, and waits
for them and for the body as long as the client likes: a 20 MB header is buffered whole, and a
client sending one byte every few seconds holds its connection for good. This protocol refuses a
request whose line and headers take more than HTTP_MAX_HEADER_BYTES, or that has more than
HTTP_MAX_HEADERS fields, with 431; headers not complete HTTP_HEADER_TIMEOUT_SECONDS after the
connection opened (or, on a kept-alive connection, after the request's first byte) with 408; and
a request the parser cannot read with 400. Each answer has the service's error body and closes
the connection. None of this reaches the app: the middleware only ever sees requests within the
limits.

The body has HTTP_BODY_TIMEOUT_SECONDS from the end of the headers to arrive whole. One deadline
for the whole body, not a limit on the gap between reads: a client keeping every gap short (a
byte a second) would pass any gap limit and still hold the connection for good, while a body is
at most MAX_REQUEST_BODY_BYTES, so one deadline fits every honest upload. Late, it is answered
with 408 if the app has not answered yet (the app, waiting for the rest, sees the client leave
and whatever it answers is dropped), and the connection closes either way. Time the service
itself holds the body back (the app has not read what came, a pipelined request waits its turn,
100 Continue is not sent yet) is not the client's: while held the deadline waits, and when the
service asks for the body again the client has the time it had left when the hold began.

Both ways of serving use it: scripts/start.sh (`uvicorn --http`) and the gunicorn workers
(app/bootstrap/gunicorn_conf.py). It is also the one protocol they use: where httptools cannot
be imported the service does not start, rather than fall back to h11 with other limits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import ClassVar

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.bootstrap.settings import get_settings
from app.core.config import Settings
from app.core.request_context import request_id_var

# After answering a refusal, what the client still sends is read and dropped for this long (or
# this many bytes) before the connection closes: closing a socket with unread data resets the
# connection, and a reset can destroy the answer before the client has read it.
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 1_048_576

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HeadLimits:
    """What one request's line and headers may take."""

    max_bytes: int
    max_fields: int
    timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> HeadLimits:
        return cls(
            max_bytes=settings.HTTP_MAX_HEADER_BYTES,
            max_fields=settings.HTTP_MAX_HEADERS,
            timeout_seconds=settings.HTTP_HEADER_TIMEOUT_SECONDS,
        )


@lru_cache(maxsize=1)
def _service_limits() -> HeadLimits:
    return HeadLimits.from_settings(get_settings())


@lru_cache(maxsize=1)
def _service_body_timeout() -> float:
    return get_settings().HTTP_BODY_TIMEOUT_SECONDS


class _RefusedError(Exception):
    """Raised from a parser callback once the request is answered, so the parser stops there."""


class _HoldAwareFlowControl(FlowControl):
    """uvicorn's flow control, telling the protocol when reading is paused (the service holds
    the body back) and when the app asks for the body again (every `receive` resumes reading,
    after sending 100 Continue when the client waits for it)."""

    def __init__(
        self,
        transport: asyncio.Transport,
        on_hold: Callable[[], None],
        on_release: Callable[[], None],
    ) -> None:
        super().__init__(transport)
        self._on_hold = on_hold
        self._on_release = on_release

    def pause_reading(self) -> None:
        if not self.read_paused:
            self._on_hold()
        super().pause_reading()

    def resume_reading(self) -> None:
        self._on_release()
        super().resume_reading()


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """One connection. The checks cost a few integer operations per read and per request.

    httptools holds an incomplete header where this class cannot see it, so the reads that end
    inside a request's head are counted whole; a head that ends within a read is measured from
    what the parser made of it, when that read could have taken it over the limit.
    """

    # None: the service's settings, first read when a connection opens (by then the app has
    # loaded them, or refused to start naming the variable at fault).
    limits: ClassVar[HeadLimits | None] = None
    body_timeout_seconds: ClassVar[float | None] = None

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, object],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = self.limits or _service_limits()
        self._max_head_bytes = limits.max_bytes
        self._max_fields = limits.max_fields
        self._head_timeout = limits.timeout_seconds
        self._body_timeout = self.body_timeout_seconds or _service_body_timeout()
        # Between a request's first byte and the end of its headers.
        self._in_head = False
        # Between the end of a request's headers and the end of its body.
        self._in_body = False
        # Bytes of the reads that ended inside the current head.
        self._head_bytes = 0
        # Bytes of the current read.
        self._read_bytes = 0
        # A request ended during the current read: its bytes may begin the read.
        self._message_ended = False
        # Loop time by which the current (or first) head, or the current body, must be
        # complete; 0.0 when none is due. One at a time: a body ends before the next head begins.
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._refused = False
        # The service holds the current body back (reading paused, or 100 Continue not sent);
        # the client's time left on its deadline when the hold began.
        self._held = False
        self._time_left_when_held = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Before any request: every request cycle is given this connection's flow control.
        self.flow = _HoldAwareFlowControl(transport, self._body_held, self._body_released)
        # The first request's headers are due this long after connecting, however long the
        # client waits before its first byte.
        self._set_deadline(self.loop.time() + self._head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # refused while an earlier response is still being written: drop the rest
        self._unset_keepalive_if_required()
        self._read_bytes = len(data)
        self._message_ended = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if not self._refused:
                self._refuse(HTTPStatus.BAD_REQUEST, "Invalid HTTP request")
            return
        # A read that began with the end of an earlier request is left out: only part of it is
        # this head's, and the next read is counted whole.
        if self._in_head and not self._message_ended:
            self._head_bytes += len(data)
            if self._head_bytes > self._max_head_bytes:
                self._refuse_oversized()
        elif self._in_body and not self._deadline:
            # Armed here, once the read that ended the headers is parsed: a body that came with
            # them (most requests) costs no timer.
            self._set_deadline(self.loop.time() + self._body_timeout)

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        if not self._deadline:
            self._set_deadline(self.loop.time() + self._head_timeout)

    def on_headers_complete(self) -> None:
        # What the reads ending inside this head did not count: this read's share of it.
        if self._head_bytes + self._read_bytes > self._max_head_bytes:
            # ": " and CRLF: 4 bytes a field.
            size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
            if size > self._max_head_bytes:
                self._refuse_oversized()
                raise _RefusedError
        if len(self.headers) > self._max_fields:
            self._refuse(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"More than {self._max_fields} request header fields",
            )
            raise _RefusedError
        self._in_head = False
        self._in_body = True
        # No timer is cancelled here: one left running finds nothing due and stops, so a busy
        # kept-alive connection arms about one timer per timeout, not one per request.
        self._deadline = 0.0
        self._held = False
        super().on_headers_complete()
        if self.cycle.waiting_for_100_continue:
            self._body_held()

    def on_message_complete(self) -> None:
        self._message_ended = True
        self._in_body = False
        self._deadline = 0.0
        super().on_message_complete()

    # Refusals

    def _set_deadline(self, deadline: float) -> None:
        self._deadline = deadline
        timer = self._timer
        # A timer due no later is kept: it finds this deadline and waits on for it.
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = self.loop.call_at(deadline, self._deadline_passed)

    def _deadline_passed(self) -> None:
        self._timer = None
        deadline = self._deadline
        if not deadline or self.transport.is_closing():
            return
        now = self.loop.time()
        if now < deadline:
            # Armed for an earlier deadline; this one is due later.
            self._timer = self.loop.call_at(deadline, self._deadline_passed)
        elif self._in_head:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "Request headers not received in time")
        elif self._in_body:
            self._body_late(now)
        else:
            # Connected, and not one byte of a request since: nothing to answer.
            self._deadline = 0.0
            self.transport.close()

    def _body_held(self) -> None:
        if self._held or not self._in_body:
            return
        self._held = True
        # Not armed yet (held by the read that ended the headers): the whole body time is left.
        left = self._deadline - self.loop.time() if self._deadline else self._body_timeout
        self._time_left_when_held = max(0.0, left)

    def _body_released(self) -> None:
        """The app asks for the body: the client gets back the time it had left when the hold
        began, from now (a timer re-armed during the hold could fall due before the client,
        told to go on only now, can send)."""
        if not self._held:
            return
        self._held = False
        if self._in_body and self._deadline:
            self._set_deadline(self.loop.time() + self._time_left_when_held)

    def _body_late(self, now: float) -> None:
        cycle = self.cycle
        if self.flow.read_paused or cycle.waiting_for_100_continue:
            # The service holds the body back, not the client: it gets its time again.
            self._set_deadline(now + self._body_timeout)
            return
        if not cycle.response_started:
            # The app may be waiting for the rest: it sees the client leave, and what it answers
            # is dropped. Ended here, so the refusal is written at once.
            cycle.disconnected = True
            cycle.message_event.set()
            # The id the app gave the request (app/middleware/request_id.py), so the refusal and
            # the app's own lines of the request are found together.
            request_id = cycle.scope.get("state", {}).get("request_id")
            self._refuse(
                HTTPStatus.REQUEST_TIMEOUT,
                "Request body not received in time",
                request_id if isinstance(request_id, str) else None,
            )
            return
        # Answered already, or answering without the body: the rest is not waited for.
        logger.warning(
            "connection closed: request body not received in time",
            extra={"client": self.client[0] if self.client else None},
        )
        self._in_body = False
        self._deadline = 0.0
        self.transport.close()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse_oversized(self) -> None:
        self._refuse(
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
            f"Request line and headers larger than {self._max_head_bytes} bytes",
        )

    def _refuse(self, status: HTTPStatus, detail: str, request_id: str | None = None) -> None:
        """Answer `status` with the service's error body, then close the connection; the
        request id is a fresh one unless given."""
        self._refused = True
        self._in_head = False
        self._in_body = False
        self._deadline = 0.0
        self._cancel_timer()
        request_id = self._log_refusal(status, detail, request_id or os.urandom(16).hex())
        if (
            self.cycle is not None
            and not self.cycle.response_complete
            and not self.cycle.disconnected
        ):
            # An earlier request's response is still being written (HTTP pipelining): an answer
            # now would land inside it. That one finishes, then the connection closes. (A request
            # refused for its late body has its own cycle, ended by then: it is answered now.)
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        self.transport.write(_error_response(status, detail, request_id, self.server_state))
        self.connections.discard(self)
        self._unset_keepalive_if_required()
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.transport.set_protocol(_Linger(self.transport, self.loop))
        else:
            self.transport.close()

    def _log_refusal(self, status: HTTPStatus, detail: str, request_id: str) -> str:
        """Log the refusal under the request id its answer carries; returns it."""
        token = request_id_var.set(request_id)
        try:
            logger.warning(
                "request refused: %d %s",
                status,
                detail,
                extra={"status": int(status), "client": self.client[0] if self.client else None},
            )
        finally:
            request_id_var.reset(token)
        return request_id


def protocol_with(
    limits: HeadLimits, body_timeout_seconds: float | None = None
) -> type[LimitedHttpToolsProtocol]:
    """The protocol with other limits than the settings' (a test server's, say); the body's
    timeout is the settings' unless given."""
    chosen = limits
    chosen_body_timeout = body_timeout_seconds

    class Limited(LimitedHttpToolsProtocol):
        limits = chosen
        body_timeout_seconds = chosen_body_timeout

    return Limited


class _Linger(asyncio.Protocol):
    """A refused connection after its answer: drops what the client still sends, and closes
    when the client does, or after _LINGER_SECONDS or _LINGER_BYTES."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._bytes_left = _LINGER_BYTES
        self._timer = loop.call_later(_LINGER_SECONDS, transport.close)

    def data_received(self, data: bytes) -> None:
        self._bytes_left -= len(data)
        if self._bytes_left < 0:
            self._transport.close()

    def eof_received(self) -> bool:
        self._transport.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._timer.cancel()


def _error_response(
    status: HTTPStatus, detail: str, request_id: str, server_state: ServerState
) -> bytes:
    body = json.dumps({"detail": detail, "request_id": request_id}).encode()
    lines = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
    lines += [name + b": " + value for name, value in server_state.default_headers]
    lines += [
        b"content-type: application/json",
        b"content-length: " + str(len(body)).encode(),
        b"x-request-id: " + request_id.encode(),
        b"x-content-type-options: nosniff",
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
