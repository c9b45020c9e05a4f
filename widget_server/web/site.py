"""The service's own addresses: its home page, health check, favicon and static files."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .pages import render
from .templating import STATIC, static_url


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


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
    Route("/favicon.ico", favicon),
    Mount("/static", CachedStatic(directory=str(STATIC)), name="static"),
]
