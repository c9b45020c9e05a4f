"""Starlette's router, trying only the routes that can match the path's first segment.

Starlette tries every route in order until one matches. The studios' pages come last
(their first segment is any slug), so a mini session's page, its details form or a hold
tried all 125 routes first, a regular expression each: about 5 % of a hold's CPU.
Here the routes are indexed once by their path's first segment when it is literal
(``/admin/…`` under ``admin``); a route whose first segment is a parameter (``/{studio}``)
or that has no path (UnreadablePaths) is a candidate for every path. A request tries its
segment's candidates, in the app's order; a route of another literal segment could not
have matched it. Anything else (no full match: a 405, a slash to add or remove, a 404;
lifespan and websockets) is Starlette's own loop over every route, so the answer is
always the one Starlette would give.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Router
from starlette.types import Receive, Scope, Send

ANY = None  # a route that may match whatever the first segment


def first_segment(route: BaseRoute) -> str | None:
    """The literal first segment every path this route matches starts with, or ANY."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return ANY
    segment = path[1:].split("/", 1)[0]
    return ANY if "{" in segment else segment


class IndexedRouter(Router):
    def __init__(self, routes: Sequence[BaseRoute], **options: object) -> None:
        super().__init__(routes, **options)  # type: ignore[arg-type]
        segments = {first_segment(r) for r in self.routes} - {ANY}
        # Each segment's candidates keep the app's order (the first full match wins).
        self.by_segment = {
            segment: [r for r in self.routes if first_segment(r) in (segment, ANY)]
            for segment in segments
        }
        self.anywhere = [r for r in self.routes if first_segment(r) is ANY]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = get_route_path(scope)
            if path.startswith("/"):
                segment = path[1:].split("/", 1)[0]
                for route in self.by_segment.get(segment, self.anywhere):
                    match, child_scope = route.matches(scope)
                    if match is Match.FULL:
                        scope.setdefault("router", self)
                        scope["route"] = route
                        scope.update(child_scope)
                        await route.handle(scope, receive, send)
                        return
        await super().app(scope, receive, send)
