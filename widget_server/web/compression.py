"""Gzip for responses, with a window no larger than a page needs.

Starlette's GZipMiddleware (level 9) sets up zlib's full 32 KiB window for every response:
the allocation and clearing are a good part of compressing a 5 KiB page. A page sent
in one piece and shorter than ``SMALL_BODY`` is compressed with a 16 KiB window instead.
Deflate looks back at most the window, less its lookahead, so on an input shorter than
that every match it can find is the same, and so are the bytes it writes (same level,
same memory level: checked on every page of the demo, tests/test_page_shortcuts.py).
Streamed and larger responses are compressed exactly as before.
"""

from __future__ import annotations

import zlib

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Receive, Scope, Send

# zlib's MIN_LOOKAHEAD (258 + 3 + 1): the farthest deflate looks back is window - this.
_LOOKAHEAD = 262
SMALL_WINDOW_BITS = 14
SMALL_BODY = (1 << SMALL_WINDOW_BITS) - _LOOKAHEAD
GZIP_HEADER = 16  # added to the window bits: a gzip header and trailer, not zlib's


class PageGZipResponder(GZipResponder):
    def _compress_body(self, body: bytes, more_body: bool) -> bytes:
        if self._compressor is None and not more_body and len(body) <= SMALL_BODY:
            self._compressor = zlib.compressobj(
                self.compresslevel, zlib.DEFLATED, GZIP_HEADER + SMALL_WINDOW_BITS
            )
        return super()._compress_body(body, more_body)


class PageGZip(GZipMiddleware):
    """``GZipMiddleware`` with ``PageGZipResponder`` (same settings, same answers)."""

    def __init__(self, app: ASGIApp, minimum_size: int = 500, compresslevel: int = 9) -> None:
        super().__init__(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        responder: IdentityResponder
        if "gzip" in Headers(scope=scope).get("Accept-Encoding", ""):
            responder = PageGZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        else:
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
            )
        await responder(scope, receive, send)
