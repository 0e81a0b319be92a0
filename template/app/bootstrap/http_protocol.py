"""uvicorn's httptools protocol, with a request's line and headers bounded in size, count and time.

httptools (uvicorn[standard]'s parser) takes headers of any size, any number of them, and waits
for them as long as the client likes: a 20 MB header is buffered whole, and a client sending one
byte every few seconds holds its connection for good. This protocol refuses a request whose
line and headers take more than HTTP_MAX_HEADER_BYTES, or that has more than HTTP_MAX_HEADERS
fields, with 431; headers not complete HTTP_HEADER_TIMEOUT_SECONDS after the connection opened
(or, on a kept-alive connection, after the request's first byte) with 408; and a request the
parser cannot read with 400. Each answer has the service's error body and closes the connection.
None of this reaches the app: the middleware only ever sees requests within the limits.

Both ways of serving use it: scripts/start.sh (`uvicorn --http`) and the gunicorn workers
(app/bootstrap/gunicorn_conf.py). It is also the one protocol they use: where httptools cannot
be imported the service does not start, rather than fall back to h11 with other limits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import ClassVar

import httptools
from uvicorn.config import Config
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


class _RefusedError(Exception):
    """Raised from a parser callback once the request is answered, so the parser stops there."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """One connection. The checks cost a few integer operations per read and per request.

    httptools holds an incomplete header where this class cannot see it, so the reads that end
    inside a request's head are counted whole; a head that ends within a read is measured from
    what the parser made of it, when that read could have taken it over the limit.
    """

    # None: the service's settings, first read when a connection opens (by then the app has
    # loaded them, or refused to start naming the variable at fault).
    limits: ClassVar[HeadLimits | None] = None

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
        # Between a request's first byte and the end of its headers.
        self._in_head = False
        # Bytes of the reads that ended inside the current head.
        self._head_bytes = 0
        # Bytes of the current read.
        self._read_bytes = 0
        # A request ended during the current read: its bytes may begin the read.
        self._message_ended = False
        # Loop time by which the current (or first) head must be complete; 0.0 when none is due.
        self._head_deadline = 0.0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # The first request's headers are due this long after connecting, however long the
        # client waits before its first byte.
        self._head_deadline = self.loop.time() + self._head_timeout
        self._head_timer = self.loop.call_at(self._head_deadline, self._head_timer_fired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
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

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        if not self._head_deadline:
            self._head_deadline = self.loop.time() + self._head_timeout
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_deadline, self._head_timer_fired)

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
        # No timer is cancelled here: one left running finds nothing due and stops, so a busy
        # kept-alive connection arms about one timer per timeout, not one per request.
        self._head_deadline = 0.0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._message_ended = True
        super().on_message_complete()

    # Refusals

    def _head_timer_fired(self) -> None:
        self._head_timer = None
        deadline = self._head_deadline
        if not deadline or self.transport.is_closing():
            return
        if self.loop.time() < deadline:
            # Armed for an earlier request's head; this one is due later.
            self._head_timer = self.loop.call_at(deadline, self._head_timer_fired)
        elif self._in_head:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "Request headers not received in time")
        else:
            # Connected, and not one byte of a request since: nothing to answer.
            self._head_deadline = 0.0
            self.transport.close()

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _refuse_oversized(self) -> None:
        self._refuse(
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
            f"Request line and headers larger than {self._max_head_bytes} bytes",
        )

    def _refuse(self, status: HTTPStatus, detail: str) -> None:
        """Answer `status` with the service's error body, then close the connection."""
        self._refused = True
        self._in_head = False
        self._head_deadline = 0.0
        self._cancel_head_timer()
        request_id = os.urandom(16).hex()
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
        if self.cycle is not None and not self.cycle.response_complete:
            # An earlier request's response is still being written (HTTP pipelining): an answer
            # now would land inside it. That one finishes, then the connection closes.
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


def protocol_with(limits: HeadLimits) -> type[LimitedHttpToolsProtocol]:
    """The protocol with other limits than the settings' (a test server's, say)."""
    chosen = limits

    class Limited(LimitedHttpToolsProtocol):
        limits = chosen

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
