"""The one place that builds the URLs of the public flow."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request

from . import language

EMBED_PREFIX = "/embed"
# What an embed page was opened with (web/embed.EmbedContext), carried from page to page
# inside the widget; each page checks it again, so carrying it as given is safe.
EMBED_PARAMS = ("parent", "page", "theme", "color", "tab")


def mini_url(studio_slug: str, mini_slug: str) -> str:
    return f"/{quote(studio_slug)}/{quote(mini_slug)}"


def booking_url(request: Request, public_id: str, page: str = "") -> str:
    """``/b/{token}`` or ``/b/{token}/{page}`` for the booking with this public id."""
    token = request.app.state.tokens.make(public_id)
    return f"/b/{token}/{page}" if page else f"/b/{token}"


def in_embed(request: Request) -> bool:
    return request.url.path.startswith(EMBED_PREFIX + "/")


def widget_params(request: Request) -> dict[str, str]:
    """The widget's parameters of an ``/embed/`` request, to carry on; none for a hosted page."""
    if not in_embed(request):
        return {}
    query = request.query_params
    return {k: query[k][:2000] for k in EMBED_PARAMS if query.get(k)}


def client_url(request: Request, path: str, **params: str) -> str:
    """A public page (``/b/...``, ``/{studio}/{mini}``) as the client sees it next: inside
    the widget while they are in it, with its parameters; else the hosted page."""
    carried = {**widget_params(request), **language.carried(request), **params}
    prefix = EMBED_PREFIX if in_embed(request) else ""
    return prefix + path + ("?" + urlencode(carried) if carried else "")


def page_url(request: Request, public_id: str, page: str = "", **params: str) -> str:
    """One of the booking's pages as the client sees it next (``client_url``)."""
    return client_url(request, booking_url(request, public_id, page), **params)


def absolute(request: Request, path: str) -> str:
    return request.app.state.settings.base_url + path


def hosted_twin(request: Request) -> str:
    """The hosted page an ``/embed/`` page is the framed copy of, absolute: the embed's
    canonical URL, so a search engine that finds the widget lists the hosted page."""
    return absolute(request, request.url.path.removeprefix(EMBED_PREFIX))
