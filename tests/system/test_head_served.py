"""HEAD on a real `serve`: the answer carries the GET's headers and no body on the wire, so the
next request on the same connection is read correctly.
"""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers import ServerProcess, serving

TOKEN = "a-token-for-this-test-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder: Path = tmp_path_factory.mktemp("head")
    with serving("memory://", folder / "server.log", token=TOKEN) as running:
        yield running


def _exchange(server: ServerProcess, requests: list[str]) -> bytes:
    """Send the requests on one keep-alive connection, the last asking to close it; all of what
    came back.
    """
    raw = "".join(
        f"{request} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        + ("Connection: close\r\n" if index == len(requests) - 1 else "")
        + "\r\n"
        for index, request in enumerate(requests)
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(raw.encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("path", ["/health", "/ready", "/users/ada", "/metrics"])
def test_head_sends_the_headers_of_get_and_no_body(server: ServerProcess, path: str) -> None:
    received = _exchange(server, [f"HEAD {path}", "GET /health"])
    head, rest = received.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    assert status_line.split()[1] == ("404" if path == "/users/ada" else "200")
    assert int(headers["content-length"]) > 0
    # What follows the HEAD's headers is the next answer, whole: no body came in between.
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n")
    assert rest.endswith(b'\r\n\r\n{"status":"ok"}')


def test_head_on_a_protected_route_without_the_token_is_401(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(b"HEAD /users/ada HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 401 ")
    assert body == b""
