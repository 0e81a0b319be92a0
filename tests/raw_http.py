"""Raw HTTP/1.1 over a loopback socket, for requests no HTTP client would send: heads oversized or
with thousands of fields, heads or bodies dribbled a byte at a time. Every wait is bounded."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from pathlib import Path

HEAD_START = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
# A header begun and never ended.
UNFINISHED_HEADER = HEAD_START + b"X-Slow: "


def oversized_header(size: int, finished: bool = True) -> bytes:
    return HEAD_START + b"X-Big: " + b"a" * size + (b"\r\n\r\n" if finished else b"")


def many_fields(count: int) -> bytes:
    return HEAD_START + b"".join(b"X-Field-%d: 1\r\n" % index for index in range(count)) + b"\r\n"


def exchange(port: int, data: bytes, wait_seconds: float = 10) -> bytes:
    """Send `data` (as much as the server reads before it closes), then everything the server
    answers until it closes or `wait_seconds` pass."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_seconds) as sock:
        # Refused before the end: the answer is already on its way.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        return _read_until_closed(sock, time.monotonic() + wait_seconds)


def unfinished_body(path: str, length: int = 100_000) -> bytes:
    """A JSON POST's head announcing `length` bytes of body, and the body's first byte."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    return head.encode() + b"{"


def dribble(
    port: int, every_seconds: float, wait_seconds: float, start: bytes = UNFINISHED_HEADER
) -> tuple[bytes, float]:
    """`start` (a head or body begun), then never finished: one byte every `every_seconds`.
    Returns what the server answered and the seconds until it closed the connection, giving up
    after `wait_seconds`."""
    started = time.monotonic()
    deadline = started + wait_seconds
    with socket.create_connection(("127.0.0.1", port), timeout=wait_seconds) as sock:
        sock.sendall(start)
        sock.settimeout(every_seconds)
        answer = b""
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                try:
                    sock.sendall(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    break
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
        return answer, time.monotonic() - started


def status(answer: bytes) -> int | None:
    """The status code of the first response in `answer`, or None when there is none."""
    found = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    return int(found[1]) if found else None


def server_pid(port: int) -> int | None:
    """The process whose command line serves `port` (scripts/start.sh passes `--port N`)."""
    wanted = f"--port\0{port}\0".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"uvicorn" in cmdline and wanted in cmdline:
            return int(entry.name)
    return None


def rss_mib(pid: int) -> float:
    found = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    assert found is not None
    return int(found[1]) / 1024


def _read_until_closed(sock: socket.socket, deadline: float) -> bytes:
    answer = b""
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        answer += chunk
    return answer
