"""The admin cookie: signed, scoped to /admin, never seen by the public flow.

Before login it holds the login form's CSRF token; once logged in, the id of a
server-side session (admin_sessions.py), whose row holds the user and the CSRF token.
Signed and time-stamped with itsdangerous under the service's secret key, so a
forged value is ignored before any query. Its ``Path=/admin`` keeps it off every
client page, so the booking flow stays cookie-free (and works in iframes).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "minis_admin"
COOKIE_PATH = "/admin"
MAX_AGE_SECONDS = 12 * 60 * 60
SALT = "minis-admin-session"
MAX_COOKIE_CHARS = 4096


@dataclass(frozen=True)
class AdminSession:
    """The CSRF token forms must return, and (once logged in) the session row behind it."""

    csrf: str
    user_id: int | None = None
    id_hash: str | None = None

    @classmethod
    def fresh(cls) -> AdminSession:
        """A logged-out visitor's session: only a token for the login form."""
        return cls(csrf=secrets.token_urlsafe(32))


@dataclass(frozen=True)
class SessionCookie:
    """What a valid cookie says: a login form token, or a session id (never both)."""

    csrf: str | None = None
    session_id: str | None = None


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt=SALT)


def read_cookie(request: Request) -> SessionCookie | None:
    """The request's valid, unexpired cookie, or None (forged, stale or garbled: ignored)."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > MAX_COOKIE_CHARS:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    csrf, session_id = data.get("csrf"), data.get("sid")
    if isinstance(session_id, str) and session_id:
        return SessionCookie(session_id=session_id)
    if isinstance(csrf, str) and csrf:
        return SessionCookie(csrf=csrf)
    return None


def _set(request: Request, response: Response, data: dict[str, str]) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Path=/admin, Secure over https."""
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(data),
        max_age=MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def write_login_cookie(request: Request, response: Response, session: AdminSession) -> None:
    """The logged-out cookie: just the login form's CSRF token."""
    _set(request, response, {"csrf": session.csrf})


def write_session_cookie(request: Request, response: Response, session_id: str) -> None:
    """The logged-in cookie: the id of a server-side session (its row has the rest)."""
    _set(request, response, {"sid": session_id})


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
