"""Rendering pages and the friendly error page; shared by every handler."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..booking.catalog import Studio
from ..booking.details import PREFILL_KEYS, UTM_KEYS
from ..db.availability import is_unavailable
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from . import language
from .embed import EMBED_PREFIX, EmbedContext, embed_context, frame_ancestors
from .refusals import for_api, for_machines, json_error, problem

logger = logging.getLogger("minis")

ERROR_TITLES = {
    400: lazy_gettext("That request didn't make sense"),
    404: lazy_gettext("We couldn't find that page"),
    405: lazy_gettext("That isn't something this page can do"),
    409: lazy_gettext("That time is no longer available"),
    413: lazy_gettext("That was too much to send"),
    500: lazy_gettext("Something went wrong on our side"),
    503: lazy_gettext("We'll be right back"),
}
# How long a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5


def carried_params(request: Request, embed: EmbedContext | None) -> dict[str, str]:
    """Query parameters carried from page to page: utm_*, prefill, the embed's own, and the
    language when the link chose it (no cookie keeps it)."""
    keep = (*UTM_KEYS, *PREFILL_KEYS, "early")  # early: a scheduled drop's early access
    carried = {k: v[:200] for k, v in request.query_params.items() if k in keep and v}
    return {**carried, **(embed.query() if embed else {}), **language.carried(request)}


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    studio: Studio | None = None,
) -> Response:
    """A page in the hosted layout, or in the embed layout under ``/embed/``."""
    templates = request.app.state.templates
    if studio is not None:
        language.for_studio(request, studio)
    in_embed = request.url.path.startswith(EMBED_PREFIX + "/")
    embed = embed_context(request, studio) if studio else None
    if in_embed:
        # Read by SecurityHeaders: who may frame this response.
        request.state.frame_ancestors = frame_ancestors(studio) if studio else "*"
    brand = (embed.color if embed else None) or (studio.brand_color if studio else None)
    context = {
        "studio": studio,
        "brand": brand,
        "embed": embed,
        "layout": "embed/base.html" if in_embed else "base.html",
        "prefix": EMBED_PREFIX if in_embed else "",
        "carry": carried_params(request, embed),
        "language_switch": language.switch(request),
        **context,
    }
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    language.name_language(request, response.headers)
    return response


def error_page(
    request: Request,
    status_code: int,
    message: str = "",
    *,
    studio: Studio | None = None,
    title: str | None = None,
    back_url: str | None = None,
    back_label: str | None = None,
) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": title or str(ERROR_TITLES.get(status_code, _("Something went wrong"))),
            "message": message,
            "status_code": status_code,
            "back_url": back_url,
            "back_label": back_label,
        },
        status_code=status_code,
        studio=studio,
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if for_api(request.url.path):
        codes = {404: "not_found", 405: "method_not_allowed"}
        detail = {404: "No such resource.", 405: "This method is not allowed here."}
        return problem(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            detail.get(exc.status_code, str(exc.detail)),
            dict(exc.headers or {}),
        )
    messages = {
        404: _("The link may be mistyped, or the page may have moved."),
        405: _("Please go back and use the page's buttons."),
    }
    response = error_page(request, exc.status_code, messages.get(exc.status_code, exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def database_unavailable(request: Request) -> Response:
    """503 with Retry-After while the database can't be reached: a page, or JSON for programs."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if for_api(request.url.path):
        return problem(
            503, "database_unavailable", "The database is unavailable; retry later.", headers
        )
    if for_machines(request.url.path):
        message = "The database is unavailable; retry later."
        return json_error(503, "database_unavailable", message, headers)
    response = error_page(
        request,
        503,
        _("We can't reach our booking records just now. Please try again in a moment."),
    )
    response.headers.update(headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    # web/outage.DatabaseOutage answers outages first; this is for one that slips past it.
    if is_unavailable(exc):
        logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return database_unavailable(request)
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if for_api(request.url.path):
        return problem(500, "server_error", "Something went wrong on our side.")
    return error_page(request, 500, _("Please try again in a moment."))
