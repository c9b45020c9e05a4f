"""A TCP proxy on 127.0.0.1 that a test can cut and restore: a database outage on demand.

The app is pointed at the proxy instead of the database. ``cut()`` closes every
connection through it (both sides, at once, as a crashed server or a dropped network
would) and refuses new ones (the listening socket is closed, so a connect gets
"connection refused"); ``restore()`` listens again on the same port. ``freeze()`` is the
other kind of outage, a database that hangs: connections stay open (new ones are
accepted) but no byte goes through either way until ``thaw()``. The proxy runs its own
event loop on a thread, so tests drive it from plain synchronous code.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

CHUNK = 64 * 1024
T = TypeVar("T")


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.connections_made = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    # Driven from the test's thread -------------------------------------------------

    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until ``restore()``."""
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def freeze(self) -> None:
        """Hold every byte, both ways, until ``thaw()``; connections stay open."""
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def thaw(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.set)

    @property
    def is_cut(self) -> bool:
        return self._server is None

    def open_connections(self) -> int:
        return self._call(self._count())

    def url_for(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by the proxy's."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # On the proxy's loop ---------------------------------------------------------------

    async def _shut_down(self) -> None:
        """Cut, thaw, and let every connection's handler finish before the loop closes."""
        await self._cut()
        self._flowing.set()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _count(self) -> int:
        # Two writers per proxied connection: the client's side and the server's.
        return len(self._writers) // 2

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            # abort(): no goodbye, buffered bytes are dropped (a crash, not a shutdown).
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted just as the proxy was cut
            client_w.transport.abort()
            return
        await self._flowing.wait()  # frozen: accepted, but the server is never reached
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        if self._server is None:
            client_w.transport.abort()
            server_w.transport.abort()
            return
        self.connections_made += 1
        self._writers |= {client_w, server_w}
        try:
            await asyncio.gather(
                _pipe(client_r, server_w, self._flowing), _pipe(server_r, client_w, self._flowing)
            )
        finally:
            self._writers -= {client_w, server_w}
            for writer in (client_w, server_w):
                writer.transport.abort()


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(CHUNK):
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    # One side finished (or was cut): pass the end on so the other side sees it too.
    with contextlib.suppress(OSError, RuntimeError):
        writer.transport.abort()


@contextmanager
def tcp_proxy_for(database_url: str) -> Iterator[TcpProxy]:
    """A started proxy in front of the PostgreSQL server ``database_url`` names."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    try:
        yield proxy
    finally:
        proxy.stop()
