"""The indexed router (web/route_index.py) picks the route Starlette's loop would pick."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.testclient import TestClient

from widget_server.app import ROUTES
from widget_server.web.route_index import ANY, IndexedRouter, first_segment


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def _first_full(routes: list[BaseRoute], scope: dict[str, Any]) -> BaseRoute | None:
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            return route
    return None


def _sample_paths() -> list[str]:
    """A path each route matches (its parameters filled in), and paths none does."""
    paths = []
    for route in ROUTES:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            filled = re.sub(r"\{[^}:]+(:path)?[^}]*\}", lambda m: "x/y" if m[1] else "7", path)
            paths += [filled or "/", filled + "/"]
    return [*paths, "/", "/%00", "/\x01", "/nope/nope/nope/nope", "/static/app.css", ""]


def test_every_path_gets_the_route_starlettes_loop_would_pick() -> None:
    router = IndexedRouter(ROUTES)
    for path in _sample_paths():
        for method in ("GET", "POST", "HEAD", "DELETE"):
            scope = _scope(path, method)
            expected = _first_full(router.routes, scope)
            segment = path[1:].split("/", 1)[0] if path.startswith("/") else None
            candidates = router.by_segment.get(segment or "", router.anywhere)
            if path.startswith("/"):
                assert _first_full(candidates, scope) is expected, (path, method)


def test_routes_whose_first_segment_is_a_parameter_are_tried_for_every_path() -> None:
    router = IndexedRouter(ROUTES)
    studio_pages = [r for r in ROUTES if getattr(r, "path", "").startswith("/{studio}")]
    assert studio_pages and all(first_segment(r) is ANY for r in studio_pages)
    for candidates in [router.anywhere, *router.by_segment.values()]:
        assert all(r in candidates for r in studio_pages)
    # A studio's page tries a handful of routes, not all of them.
    assert len(router.by_segment.get("demo", router.anywhere)) < 10 < len(ROUTES)


def test_the_app_answers_through_the_index(client: TestClient) -> None:
    assert isinstance(client.app.router, IndexedRouter)  # type: ignore[attr-defined]
    assert client.get("/healthz").status_code == 200
    assert client.get("/acme").status_code == 200
    assert client.get("/no-such-studio").status_code == 404
    # A method the route doesn't take is still a 405 (Starlette's own loop decides).
    assert client.delete("/healthz").status_code == 405
