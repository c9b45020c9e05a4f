"""``/embed.js``: the loader in embed/embed.js, minified once when the app starts.

The source stays readable; clients get it with comments and whitespace gone and
local names shortened (calmjs.parse), then gzipped by the middleware. It is
cached briefly rather than for a year: sites embed this URL unversioned, and a
fix must reach them within minutes.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from calmjs.parse import es5
from calmjs.parse.unparsers.es5 import minify_print
from starlette.requests import Request
from starlette.responses import Response

# Served from the source tree (Minis runs from a checkout: `pip install -e .`).
LOADER_SOURCE = Path(__file__).resolve().parents[2] / "embed" / "embed.js"
LOADER_MAX_AGE = 300


@cache
def minified_loader() -> tuple[bytes, str]:
    """The minified loader and its ETag."""
    program = es5(LOADER_SOURCE.read_text(encoding="utf-8"))
    body = minify_print(program, obfuscate=True, obfuscate_globals=True, drop_semi=True)
    data = body.encode("utf-8")
    return data, '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


async def loader(request: Request) -> Response:
    body, etag = minified_loader()
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={LOADER_MAX_AGE}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
