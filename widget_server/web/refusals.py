"""Who is asking, a person or a program: errors as a page for people, JSON for programs.

Payment providers (``/webhooks/...``) and API clients (``/api/...``) read a JSON body
with a stable ``code``; everything else is a page. ``send_refusal`` answers before any
handler ran (a body too large, too slow), with a self-contained page: nothing it needs
can fail.
"""

from __future__ import annotations

import json
from html import escape

from starlette.responses import JSONResponse
from starlette.types import Scope, Send

MACHINE_PREFIXES = ("/webhooks/", "/api/")


def for_machines(path: str) -> bool:
    return path.startswith(MACHINE_PREFIXES)


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
    if for_machines(scope["path"]):
        body = json.dumps({"error": {"code": code, "message": detail}}).encode()
        kind = b"application/json"
    else:
        body = PAGE.format(title=escape(title), message=escape(message)).encode()
        kind = b"text/html; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1>
<p>{message}</p></main></body></html>
"""
