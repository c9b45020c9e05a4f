"""The service's own addresses: its home page, health checks, favicon and static files.

``/healthz`` is liveness (the process answers HTTP; restart it if not) and never touches
the database. ``/readyz`` is readiness: 200 while the database answers a trivial query
within a short timeout, 503 while it doesn't (send this process no traffic for now; it
recovers on its own when the database is back).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .pages import RETRY_AFTER_SECONDS, render
from .templating import STATIC, static_url


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    if await request.app.state.readiness.ready():
        return PlainTextResponse("ready")
    return PlainTextResponse(
        "database unavailable",
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def favicon(request: Request) -> Response:
    """Crawlers ask for /favicon.ico whatever a page links; answer it without a database query."""
    return RedirectResponse(static_url("icon.svg"), status_code=302)


async def home(request: Request) -> Response:
    return render(request, "home.html", {"demo": request.app.state.settings.demo})


class CachedStatic(StaticFiles):
    """Static files under versioned URLs (templating.static_url): cache for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


routes: list[BaseRoute] = [
    Route("/", home),
    Route("/healthz", healthz),
    Route("/readyz", readyz),
    Route("/favicon.ico", favicon),
    Mount("/static", CachedStatic(directory=str(STATIC)), name="static"),
]
