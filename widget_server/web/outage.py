"""A database outage is a 503 "try again in a moment", never a 500, and the client's
connection stays open for the next request.

Handlers don't catch database errors; they rise to this middleware, which asks
``db/availability.is_unavailable`` whether the error is an outage and answers with
``pages.database_unavailable``. Letting it rise further would reach Starlette's
ServerErrorMiddleware, which re-raises after its 500 page, and uvicorn then logs a
traceback and closes the keep-alive connection. Any other error rises unchanged.
Recovery needs nothing from here: the next request takes a connection again, and the
pool reconnects once the database is back.

A request still running when shutdown's grace period ends is cancelled by uvicorn (one
waiting on a database that hangs, say); it gets the same 503 rather than uvicorn's bare
500, so the client tries again, elsewhere or in a moment.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..db.availability import is_unavailable
from .pages import database_unavailable

logger = logging.getLogger("minis")


class DatabaseOutage:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = False
        where = f"{scope['method']} {scope['path']}"

        async def watched_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except asyncio.CancelledError:
            if not started:
                logger.warning("503 for %s: cut short by shutdown", where)
                await database_unavailable(Request(scope, receive))(scope, receive, send)
            raise
        except Exception as exc:
            if not is_unavailable(exc) or (started and not finished):
                raise  # a bug, or a response cut short: only closing the connection is honest
            if finished:
                # The answer went out; giving the connection back is what failed.
                logger.warning("database connection lost after %s: %r", where, exc)
                return
            logger.warning("database unavailable, 503 for %s: %r", where, exc)
            await database_unavailable(Request(scope, receive))(scope, receive, send)
