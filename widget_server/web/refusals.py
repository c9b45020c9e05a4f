"""Who is asking, a person or a program: errors as a page for people, JSON for programs.

Payment providers (``/webhooks/...``) read a JSON body with a stable ``code``; API
clients (``/api/...``) read problem details (RFC 9457, ``application/problem+json``) with
the same ``code``; everything else is a page. ``send_refusal`` answers before any
handler ran (a body too large, too slow), with a self-contained page: nothing it needs
can fail.
"""

from __future__ import annotations

import json
from html import escape

from starlette.responses import JSONResponse
from starlette.types import Scope, Send

from ..i18n import html_lang

MACHINE_PREFIXES = ("/webhooks/", "/api/")
API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
# Each problem's ``type``: the reference docs' entry for its code (a relative URI).
PROBLEM_DOCS = "/api/v1/docs#problem-"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Content too large",
    422: "Unprocessable content",
    429: "Too many requests",
    503: "Service unavailable",
}


def for_machines(path: str) -> bool:
    return path.startswith(MACHINE_PREFIXES)


def for_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


def problem_body(status: int, code: str, detail: str, **extra: object) -> dict[str, object]:
    return {
        "type": PROBLEM_DOCS + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    """An RFC 9457 problem with a stable ``code`` (and any ``extra`` members)."""
    return JSONResponse(
        problem_body(status, code, detail, **extra),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_TYPE,
    )


def json_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def send_refusal(
    scope: Scope,
    send: Send,
    status: int,
    *,
    code: str,
    detail: str,
    title: str,
    message: str,
    close: bool = False,
) -> None:
    """A complete response sent straight to the server: ``code`` and ``detail`` for
    programs, ``title`` and ``message`` for people. ``close`` ends the connection (the
    rest of an unread body would otherwise be taken for the next request)."""
    if for_api(scope["path"]):
        body = json.dumps(problem_body(status, code, detail)).encode()
        kind = PROBLEM_TYPE.encode()
    elif for_machines(scope["path"]):
        body = json.dumps({"error": {"code": code, "message": detail}}).encode()
        kind = b"application/json"
    else:
        lang = html_lang()
        body = PAGE.format(lang=lang, title=escape(title), message=escape(message)).encode()
        kind = b"text/html; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if kind.startswith(b"text/html"):
        headers.append((b"content-language", lang.encode()))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1>
<p>{message}</p></main></body></html>
"""
