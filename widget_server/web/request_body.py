"""The whole request body is read before anything else happens, within a time limit.

A client that sends its headers and then stalls (a phone losing signal mid-upload, or
someone doing it on purpose) must cost nothing but its socket: not a database
connection (RequestConnection takes one only after this middleware has the body, so
20 stalled clients can't empty a pool of 10), and not forever. A body that isn't
complete within ``timeout`` seconds (``MINIS_REQUEST_BODY_TIMEOUT``, default 30) is
answered 408, and the connection is closed, as the rest of the body may still arrive.
The size is capped before this by BodyLimit, so holding the body in memory is bounded.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import gettext as _
from .refusals import send_refusal

logger = logging.getLogger("minis")


class BodyTimedOut(Exception):
    pass


class ReadBodyFirst:
    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.timeout):
                body = await _read_body(receive)
        except TimeoutError:
            logger.info("408 for %s %s: body not sent in time", scope["method"], scope["path"])
            await send_refusal(
                scope,
                send,
                408,
                code="body_timeout",
                detail=f"The request body was not received within {self.timeout:g} seconds.",
                title=_("That took too long to arrive"),
                message=_("Nothing was saved. Please check your connection and try again."),
                close=True,
            )
            return
        if body is None:
            # The client hung up first (a closed tab, a lost connection, a bot): not our
            # error, nothing was read or done, and nobody to answer. One line, no traceback.
            logger.info(
                "client disconnected before sending all of %s %s", scope["method"], scope["path"]
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # after the body: the server's own messages (a disconnect)
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> bytes | None:
    """The body, or None if the client disconnected first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
