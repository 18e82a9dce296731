"""`serve`'s HTTP protocol writes each response to the socket at once (entrypoints/http/one_write):
what uvicorn writes in one turn of the event loop goes out in one write, in order, and nothing
held is lost when the connection closes.
"""

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from entrypoints.http.one_write import OneWriteHttpProtocol, TurnBufferedTransport

BODY = b'{"hello":"world"}'


class RecordingTransport(asyncio.Transport):
    """What the protocol does to the socket, in order: ("write", bytes) and ("close", b"")."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def get_write_buffer_size(self) -> int:
        return 0

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _json_app(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


async def _streaming_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first", "more_body": True})
    await asyncio.sleep(0.01)
    await send({"type": "http.response.body", "body": b"second", "more_body": False})


async def _serve_one(app: Any, request: bytes) -> list[tuple[str, bytes]]:
    config = Config(app=app, lifespan="off", log_config=None, access_log=False)
    protocol = OneWriteHttpProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(100):
        await asyncio.sleep(0.01)
        if any(data.endswith((BODY, b"0\r\n\r\n")) for _, data in transport.calls):
            break
    await asyncio.sleep(0.01)
    return transport.calls


async def test_a_response_goes_out_in_one_write() -> None:
    calls = await _serve_one(_json_app, b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    assert len(calls) == 1
    kind, data = calls[0]
    assert kind == "write"
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b"\r\n\r\n" + BODY)


async def test_writes_of_later_turns_follow_in_order() -> None:
    calls = await _serve_one(_streaming_app, b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    assert [kind for kind, _ in calls] == ["write", "write"]
    first, second = (data for _, data in calls)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert first.endswith(b"\r\n\r\n5\r\nfirst\r\n")  # the head and the first chunk together
    assert second == b"6\r\nsecond\r\n0\r\n\r\n"


async def test_what_is_held_is_written_before_the_connection_closes() -> None:
    request = b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    calls = await _serve_one(_json_app, request)
    assert [kind for kind, _ in calls] == ["write", "close"]
    assert calls[0][1].endswith(BODY)


async def test_an_aborted_connection_drops_what_is_held() -> None:
    transport = RecordingTransport()
    buffered = TurnBufferedTransport(transport, asyncio.get_running_loop())
    buffered.write(b"held")
    assert buffered.get_write_buffer_size() >= len(b"held")
    buffered.abort()
    await asyncio.sleep(0)
    assert transport.calls == [("abort", b"")]
