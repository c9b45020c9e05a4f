"""Logging in and out of the dashboard, and the guard every admin page goes through.

``admin_page`` is the one door: it loads the server-side session named by the cookie,
with its user and studio (none, or expired, or logged out: a 303 to the login form),
checks the CSRF token on every POST (403 and nothing runs), and hands the handler an
``Admin`` whose ``studio`` is the only one it may read.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import Studio
from ...i18n import gettext as _
from ...studio.accounts import MAX_EMAIL, AdminUser, authenticate
from ...studio.sessions import (
    LiveSession,
    end_all_sessions,
    end_session,
    find_session,
    mark_seen,
    start_session,
)
from .csrf import token_matches
from .pages import admin_error, admin_render
from .session import (
    AdminSession,
    clear_session,
    read_cookie,
    write_login_cookie,
    write_session_cookie,
)

HOME = "/admin/bookings"
LOGIN = "/admin"


@dataclass(frozen=True)
class Admin:
    """Who is asking: the user, their studio, and their session (for the CSRF token)."""

    user: AdminUser
    studio: Studio
    session: AdminSession


Handler = Callable[[Request, Admin], Awaitable[Response]]


def _safe_next(value: str | None) -> str:
    """Where to go after logging in: only a path inside the dashboard, never another site."""
    if value and value.startswith("/admin/") and "//" not in value and "\\" not in value:
        return value[:500]
    return HOME


async def live_session(request: Request) -> LiveSession | None:
    """The logged-in session the request's cookie names, or None."""
    cookie = read_cookie(request)
    if cookie is None or cookie.session_id is None:
        return None
    return await find_session(request.app.state.db, cookie.session_id, request.app.state.clock())


# Dashboard forms are small and carry no files unless a page says so (admin_upload_page).
FORM_MAX_FILES = 0
FORM_MAX_PART_BYTES = 64 * 1024


def admin_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    return _guard(handler, max_files=FORM_MAX_FILES, max_part_size=FORM_MAX_PART_BYTES)


def admin_upload_page(
    *, max_files: int, max_part_size: int
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """``admin_page`` for a multipart form with files. The guard parses the body once, with
    these limits, to check the CSRF token; the handler's ``request.form(...)`` gets the same
    parsed form back (Starlette caches it on the request), files included."""
    return lambda handler: _guard(handler, max_files=max_files, max_part_size=max_part_size)


def _guard(
    handler: Handler, *, max_files: int, max_part_size: int
) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        live = await live_session(request)
        if live is None:
            if request.method != "GET":
                return admin_error(request, None, 403, _("Please log in again."))
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"{LOGIN}?next={target}", status_code=303)
        session = AdminSession(csrf=live.csrf, user_id=live.user.id, id_hash=live.id_hash)
        if request.method == "POST":
            # Too many files or a field over the limit: Starlette answers 400 (friendly page).
            form = await request.form(max_files=max_files, max_part_size=max_part_size)
            if not token_matches(session, form):
                await form.close()
                return csrf_failure(request, session)
        await mark_seen(request.app.state.db, live, request.app.state.clock())
        return await handler(request, Admin(live.user, live.studio, session))

    return guarded


def csrf_failure(request: Request, session: AdminSession | None) -> Response:
    return admin_error(
        request,
        session,
        403,
        _(
            "This form had expired or did not come from your dashboard. "
            "Please go back, reload the page and try again."
        ),
        title=_("Please try that again"),
    )


def _login_form(
    request: Request,
    session: AdminSession,
    *,
    email: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    response = admin_render(
        request,
        "admin/login.html",
        {
            "title": _("Log in"),
            "email": email[:MAX_EMAIL],
            "error": error,
            "next": _safe_next(request.query_params.get("next")),
            "everywhere": request.query_params.get("done") == "everywhere",
        },
        session=session,
        status_code=status_code,
    )
    write_login_cookie(request, response, session)
    return response


async def login_page(request: Request) -> Response:
    """GET: the form (or straight to the dashboard). POST: check and start a session."""
    if request.method == "GET":
        if await live_session(request) is not None:
            return RedirectResponse(HOME, status_code=303)
        cookie = read_cookie(request)
        # Keep a login form token already issued (two tabs), else start one.
        if cookie is not None and cookie.csrf is not None:
            return _login_form(request, AdminSession(csrf=cookie.csrf))
        return _login_form(request, AdminSession.fresh())
    cookie = read_cookie(request)
    session = AdminSession(csrf=cookie.csrf) if cookie and cookie.csrf else None
    form = await request.form()
    if not token_matches(session, form):
        return csrf_failure(request, session)
    assert session is not None
    email = form.get("email")
    password = form.get("password")
    email = email.strip() if isinstance(email, str) else ""
    password = password if isinstance(password, str) else ""
    address = request.client.host if request.client else "unknown"
    limiter = request.app.state.login_limiter
    if not await limiter.attempt(email.lower()[:MAX_EMAIL], address):
        return _login_form(
            request,
            session,
            email=email,
            error=_("Too many attempts. Please wait 15 minutes and try again."),
            status_code=429,
        )
    user = await authenticate(request.app.state.db, email, password)
    if user is None:
        return _login_form(
            request,
            session,
            email=email,
            error=_("That email and password don't match an account."),
            status_code=401,
        )
    # A new session (and CSRF token) at login: a token planted before it is worthless after.
    session_id, _csrf = await start_session(
        request.app.state.db, user.id, request.app.state.clock()
    )
    response = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
    write_session_cookie(request, response, session_id)
    return response


@admin_page
async def logout(request: Request, admin: Admin) -> Response:
    """POST: end this session; a copy of its cookie stops working too."""
    assert admin.session.id_hash is not None
    await end_session(request.app.state.db, admin.session.id_hash)
    response = RedirectResponse(LOGIN, status_code=303)
    clear_session(request, response)
    return response


@admin_page
async def logout_everywhere(request: Request, admin: Admin) -> Response:
    """POST: end every session of this user (other browsers, a lost phone)."""
    await end_all_sessions(request.app.state.db, admin.user.id)
    response = RedirectResponse(f"{LOGIN}?done=everywhere", status_code=303)
    clear_session(request, response)
    return response


def admin_context(admin: Admin) -> dict[str, Any]:
    return {"admin": admin, "studio": admin.studio}


routes: list[BaseRoute] = [
    Route("/admin", login_page, methods=["GET", "POST"]),
    Route("/admin/logout", logout, methods=["POST"]),
    Route("/admin/logout-everywhere", logout_everywhere, methods=["POST"]),
]
