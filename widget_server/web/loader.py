"""The embed's scripts: embed/embed.js at ``/embed.js`` and embed/dialog.js (popups and the
floating button, fetched by the loader on first need) at ``/embed-dialog.js``.

Both are minified once when the app starts: the sources stay readable; clients get
them with comments and whitespace gone and local names shortened (calmjs.parse),
then gzipped by the middleware. The dialogs' few words (a button, a label) are put into
dialog.js per language (``?lang=``), so the loader itself carries no words at all.
They are cached briefly rather than for a year: sites embed these URLs unversioned,
and a fix must reach them within minutes.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from calmjs.parse import es5
from calmjs.parse.unparsers.es5 import minify_print
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .. import i18n

# Served from the source tree (Minis runs from a checkout: `pip install -e .`).
EMBED_SOURCES = Path(__file__).resolve().parents[2] / "embed"
SCRIPTS = {"/embed.js": "embed.js", "/embed-dialog.js": "dialog.js"}
MAX_AGE = 300


def dialog_words(language: str) -> str:
    """The dialogs' words in ``language``, as the JavaScript object dialog.js reads."""
    with i18n.use_language(language):
        words = {
            "close": i18n.pgettext("close a dialog", "Close"),
            "book": i18n.gettext("Book a session"),
            "label": i18n.gettext("Book a mini session"),
        }
    return json.dumps(words, ensure_ascii=False)


@cache
def minified(name: str, language: str = i18n.DEFAULT_LANGUAGE) -> tuple[bytes, str]:
    """A script from embed/ (dialog.js with its words in ``language``), minified, and its ETag."""
    source = (EMBED_SOURCES / name).read_text(encoding="utf-8")
    program = es5(source.replace("MINIS_WORDS", dialog_words(language)))
    body = minify_print(program, obfuscate=True, obfuscate_globals=True, drop_semi=True)
    data = body.encode("utf-8")
    return data, '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


def minify_all() -> None:
    """Minify every script now, so a broken one fails the start rather than a visitor."""
    for name in SCRIPTS.values():
        minified(name)


async def embed_script(request: Request) -> Response:
    name = SCRIPTS[request.url.path]
    # Only the dialogs have words; any other or unknown ?lang= is ignored (one cached copy).
    asked = request.query_params.get("lang", "")[:40] if name == "dialog.js" else ""
    body, etag = minified(name, i18n.known_language(asked) or i18n.DEFAULT_LANGUAGE)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


routes: list[BaseRoute] = [
    Route("/embed.js", embed_script),
    Route("/embed-dialog.js", embed_script),
]
