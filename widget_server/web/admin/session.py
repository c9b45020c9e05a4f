"""The admin session: one signed cookie, scoped to /admin, never seen by the public flow.

The cookie holds the user id (once logged in) and the session's CSRF token, signed and
time-stamped with itsdangerous under the service's secret key. Its ``Path=/admin`` keeps
it off every client page, so the booking flow stays cookie-free (and works in iframes).
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
    csrf: str
    user_id: int | None = None

    @classmethod
    def fresh(cls, user_id: int | None = None) -> AdminSession:
        """A new session with a new CSRF token (logging in rotates both)."""
        return cls(csrf=secrets.token_urlsafe(32), user_id=user_id)


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt=SALT)


def read_session(request: Request) -> AdminSession | None:
    """The request's valid, unexpired session, or None (forged, stale or garbled: ignored)."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > MAX_COOKIE_CHARS:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    user_id = data.get("uid")
    if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
        return None
    return AdminSession(csrf=data["csrf"], user_id=user_id)


def write_session(request: Request, response: Response, session: AdminSession) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Path=/admin, Secure over https."""
    value = _serializer(request).dumps({"csrf": session.csrf, "uid": session.user_id})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
