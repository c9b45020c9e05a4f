"""Rendering pages and the friendly error page; shared by every handler."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..booking.catalog import Studio

logger = logging.getLogger("minis")

ERROR_TITLES = {
    400: "That request didn't make sense",
    404: "We couldn't find that page",
    405: "That isn't something this page can do",
    409: "That time is no longer available",
    413: "That was too much to send",
    500: "Something went wrong on our side",
}


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    studio: Studio | None = None,
) -> Response:
    templates = request.app.state.templates
    context = {"studio": studio, "brand": studio.brand_color if studio else None, **context}
    return templates.TemplateResponse(request, template, context, status_code=status_code)


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
            "title": title or ERROR_TITLES.get(status_code, "Something went wrong"),
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
    messages = {
        404: "The link may be mistyped, or the page may have moved.",
        405: "Please go back and use the page's buttons.",
    }
    response = error_page(request, exc.status_code, messages.get(exc.status_code, exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500, "Please try again in a moment.")
