"""One database connection per request, shared by every query the request makes.

``databases`` otherwise takes a connection per query outside a transaction; on
SQLite that means opening the file (on a new thread) three or four times per
page, which costs more than rendering it.

The connection is taken by the request's first query (db/kept_connection.py), which
comes only once the request's body has arrived (web/request_body.py runs first): a
client that stalls mid-body holds none of the pool's connections, and a request that
never queries (a page answered from web/availability_cache.py) never queues for one.
Whatever happens in the handler, the connection goes back to the pool
(db/connection_scope.py).
"""

from __future__ import annotations

from databases import Database
from starlette.types import ASGIApp, Receive, Scope, Send

from ..db.connection_scope import one_connection

# Requests that never touch the database, or (/readyz) take their own connection.
NO_DATABASE_PREFIXES = (
    "/static/",
    "/healthz",
    "/readyz",
    "/favicon.ico",
    "/embed.js",
    "/embed-dialog.js",
)


class RequestConnection:
    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NO_DATABASE_PREFIXES):
            await self.app(scope, receive, send)
            return
        # A form takes its connection now, before it is parsed and checked: a burst of a
        # thousand forms then waits as a thousand bare requests, not a thousand parsed
        # forms (a worker's memory after a storm, bench/README.md §13). A page waits for
        # one only if it queries: the availability cache answers most of a stampede.
        eager = scope["method"] not in ("GET", "HEAD")
        async with one_connection(self.db, take_now=eager):
            await self.app(scope, receive, send)
