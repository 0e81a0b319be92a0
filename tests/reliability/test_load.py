"""The reliability tests' load driver against a tiny HTTP/1.1 keep-alive server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import free_port
from tests.load import load


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # 64 clients connect at once: no refused or delayed handshakes
    peers: set[tuple[str, int]]
    lock: threading.Lock


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.peers.add(self.client_address[:2])

    def do_GET(self) -> None:
        status, body = (500, b"boom") if self.path == "/fail" else (200, b'{"status":"ok"}')
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, _Server]]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.peers = set()
    httpd.lock = threading.Lock()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_a_healthy_endpoint_is_loaded_over_as_many_connections_as_asked(
    server: tuple[str, _Server],
) -> None:
    base_url, httpd = server
    figures = load(f"{base_url}/health", 1, connections=64)

    assert figures.requests > 64, figures
    assert figures.errors == 0, figures
    assert figures.non_2xx == 0, figures
    assert figures.p50_ms <= figures.p99_ms
    assert len(httpd.peers) == 64  # one keep-alive connection per client, all of them used


def test_server_errors_are_counted_as_non_2xx(server: tuple[str, _Server]) -> None:
    base_url, _ = server
    figures = load(f"{base_url}/fail", 0.5, connections=4)

    assert figures.requests > 0
    assert figures.non_2xx == figures.requests
    assert figures.errors == 0
    assert figures.failures[0].startswith("HTTP 500")


def test_a_closed_port_counts_errors_instead_of_raising() -> None:
    figures = load(f"http://127.0.0.1:{free_port()}/health", 0.5, connections=4, max_requests=500)

    assert figures.errors > 0
    assert figures.requests == 0
    assert figures.failures[0].startswith("ConnectError")


def test_the_request_bound_stops_the_run_before_its_time(server: tuple[str, _Server]) -> None:
    base_url, _ = server
    started = time.monotonic()
    figures = load(f"{base_url}/health", 30, connections=8, max_requests=200)

    assert time.monotonic() - started < 10
    assert figures.requests == 200
    assert figures.errors == 0


@pytest.mark.parametrize(
    "url", ["http://192.0.2.1/health", "http://example.com/health", "http://[2001:db8::1]/"]
)
def test_only_loopback_is_targeted(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        load(url, 1)
