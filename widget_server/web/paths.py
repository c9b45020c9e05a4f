"""Paths no URL of ours can have: refused with the 404 page before any route looks them up.

Our paths are slugs, signed tokens, ids and file names: never a control character. A NUL
in one (``/demo/%00``) would reach a slug's query, and PostgreSQL text can't hold NUL:
the query fails instead of finding nothing. This route comes first in the app and
matches any path with a C0 control character or DEL, for every method, so every route
(today's and the next one) only ever sees paths the database can compare.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

UNREADABLE = re.compile("[\x00-\x1f\x7f]")


class UnreadablePaths(BaseRoute):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and UNREADABLE.search(scope["path"]):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Inside the router, so the app's HTTPException handler renders the friendly page.
        raise HTTPException(404)


routes: list[BaseRoute] = [UnreadablePaths()]
