"""Rendering dashboard pages: the admin layout, the CSRF token for forms, friendly errors."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..pages import ERROR_TITLES
from .session import AdminSession


def admin_render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: AdminSession | None,
    status_code: int = 200,
) -> Response:
    """A dashboard page. Every form in it gets ``csrf_token`` (the session's token)."""
    templates = request.app.state.templates
    context = {
        "studio": None,
        "admin": None,
        "brand": None,
        "csrf_token": session.csrf if session else "",
        **context,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def admin_error(
    request: Request,
    session: AdminSession | None,
    status_code: int,
    message: str,
    *,
    title: str | None = None,
    context: dict[str, Any] | None = None,
) -> Response:
    return admin_render(
        request,
        "admin/error.html",
        {
            "title": title or ERROR_TITLES.get(status_code, "Something went wrong"),
            "message": message,
            **(context or {}),
        },
        session=session,
        status_code=status_code,
    )
