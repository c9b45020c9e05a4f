"""A bare HTTP/1.1 client on asyncio streams, for load that must not eat the server's CPU.

The storm's 1,000 clients share the machine's two cores with the server. Through httpx
each request cost the load generator about 2.6 ms of CPU (measured: 1,000 POSTs, 2.5 s
of this process's CPU), as much as the server spent answering it, so the storm's
latencies measured the client as much as the server. Here a request is bytes written
and a response is its status line, headers and a body read by ``Content-Length`` (or
chunks): a few tens of microseconds. One keep-alive connection per client, as a browser
keeps one.

It speaks only what ``minis serve`` answers: no redirects followed, no compression asked
for, no TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

TIMEOUT_SECONDS = 60.0


class RawHTTPError(Exception):
    """The connection failed or closed, or the answer was not HTTP/1.1 as expected."""


@dataclass(frozen=True)
class RawResponse:
    status_code: int
    body: bytes


class RawClient:
    """``await client.get(path)``, ``await client.post(path, data={...})`` on one
    connection, opened on first use; ``await client.aclose()``."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> RawResponse:
        return await self._request(b"GET", path, b"", b"")

    async def post(self, path: str, data: dict[str, str]) -> RawResponse:
        body = urlencode(data).encode()
        kind = b"content-type: application/x-www-form-urlencoded\r\n"
        return await self._request(b"POST", path, body, kind)

    async def aclose(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _request(self, method: bytes, path: str, body: bytes, extra: bytes) -> RawResponse:
        try:
            return await asyncio.wait_for(
                self._exchange(method, path, body, extra), TIMEOUT_SECONDS
            )
        except (OSError, EOFError, ValueError, TimeoutError) as exc:
            await self.aclose()
            raise RawHTTPError(f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(self, method: bytes, path: str, body: bytes, extra: bytes) -> RawResponse:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        assert reader is not None
        writer.write(
            b"%s %s HTTP/1.1\r\nhost: %s:%d\r\n%scontent-length: %d\r\n\r\n%s"
            % (method, path.encode(), self.host.encode(), self.port, extra, len(body), body)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, status, _ = status_line.split(" ", 2)
        if version != "HTTP/1.1":
            raise ValueError(f"not an HTTP/1.1 answer: {status_line!r}")
        headers = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = await _chunks(reader)
        else:
            content = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.aclose()
        return RawResponse(int(status), content)


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
