"""A loopback TCP proxy that a test can cut and restore, to play a database outage without
touching the shared database server."""

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from typing import Any, Literal

from sqlalchemy.engine import make_url

CutMode = Literal["reset", "blackhole"]

_CHUNK = 65536


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream address, on an event loop in its own thread.

    `cut("reset")`: every open connection is reset and new ones are refused at once.
    `cut("blackhole")`: nothing is forwarded any more and nothing is closed; new connections are
    accepted and then ignored, like a network that silently drops packets.
    `restore()`: connections made during the cut are reset, new ones are forwarded again.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._mode: CutMode | None = None
        self._flowing = asyncio.Event()
        self.port = 0
        self.connections_made = 0

    @classmethod
    def in_front_of(cls, database_url: str) -> tuple["TcpProxy", str]:
        """A started proxy to the database's host and port, and the URL that goes through it."""
        upstream = make_url(database_url)
        proxy = cls(upstream.host or "127.0.0.1", upstream.port or 5432).start()
        routed = upstream.set(host="127.0.0.1", port=proxy.port)
        return proxy, routed.render_as_string(hide_password=False)

    def start(self) -> "TcpProxy":
        self._thread.start()
        self._call(self._listen())
        return self

    def close(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def cut(self, mode: CutMode) -> None:
        self._call(self._cut(mode))

    def restore(self) -> None:
        self._call(self._restore())

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self, mode: CutMode) -> None:
        self._mode = mode
        self._flowing.clear()
        if mode == "reset":
            self._reset_all()

    async def _restore(self) -> None:
        self._reset_all()
        self._mode = None
        self._flowing.set()

    async def _shutdown(self) -> None:
        self._reset_all()
        if self._server is not None:
            self._server.close()

    def _reset_all(self) -> None:
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_made += 1
        if self._mode == "reset":
            _reset(writer)
            return
        self._writers.add(writer)
        if self._mode == "blackhole":
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            _reset(writer)
            return
        self._writers.add(upstream_writer)
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(_CHUNK):
                await self._flowing.wait()
                if writer.is_closing():
                    return
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            _reset(writer)
            self._writers.discard(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a dead host or a firewall would, not a polite FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        writer.close()
