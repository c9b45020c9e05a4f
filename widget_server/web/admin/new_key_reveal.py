"""Showing a new API key once, after a redirect: POST makes the key, GET shows it.

The "new key" form answers with a 303 (POST/redirect/GET), so reloading the page that
shows the key never makes a second one. The key can't be looked up on the GET: only its
hash is stored. So the POST hands it to the very next page view in a cookie that is
signed (itsdangerous, under the service's secret), bound to the admin's session, lives
five minutes, is sent only to ``/admin/integrations`` (HttpOnly, SameSite=Strict, Secure
over https), and is deleted by the page that shows it. The key never appears in a URL,
so no access log, proxy or browser history records it; and a page shown again (reload,
back) no longer has it.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from ...studio.api_keys import is_live_key
from .auth import Admin

COOKIE = "minis_new_key"
PATH = "/admin/integrations"
MAX_AGE_SECONDS = 300
SALT = "minis-new-api-key"


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt=SALT)


def hand_over(request: Request, response: Response, admin: Admin, key_id: int, key: str) -> None:
    """Give the new key to the next page view of this admin's session (the redirect's)."""
    value = _serializer(request).dumps({"id": key_id, "key": key, "sid": admin.session.id_hash})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE_SECONDS,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def take(request: Request, admin: Admin) -> str | None:
    """The new key to show on this page view, if it was just made in this session (and is
    still live); the caller must ``forget`` it in its response."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("sid") != admin.session.id_hash:
        return None
    key_id, key = data.get("id"), data.get("key")
    if not isinstance(key_id, int) or not isinstance(key, str):
        return None
    if not await is_live_key(request.app.state.db, admin.studio.id, key_id, key):
        return None
    return key


def forget(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
