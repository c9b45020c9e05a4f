"""Security headers (HSTS over https), a per-request CSP nonce, and a cap on request bodies."""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import gettext as _
from .refusals import send_refusal

MAX_BODY_BYTES = 64 * 1024
# The dashboard shows clients' details too (but /administrator-photo is a studio's site).
PRIVATE_PREFIXES = ("/b/", "/embed/b/", "/admin/")
PRIVATE_PATHS = {"/admin"}
NO_FRAMING = "'none'"


class SecurityHeaders:
    """Pure ASGI middleware: sets a CSP nonce on the request and hardening headers on responses.

    Pages may not be framed unless a route says otherwise (embed pages, later,
    set their own ``frame-ancestors``). A client's booking pages (``/b/{token}``)
    carry personal details and a secret in the URL: never cached, never sent
    on as a referrer.
    """

    def __init__(
        self, app: ASGIApp, form_targets: list[str] | None = None, hsts_seconds: int = 0
    ) -> None:
        self.app = app
        # Sent over https only (browsers ignore it over http). The scheme is the connection's
        # (direct TLS), or X-Forwarded-Proto from a proxy named in MINIS_TRUSTED_PROXIES:
        # uvicorn ignores that header from anyone else.
        self.hsts = f"max-age={hsts_seconds}".encode() if hsts_seconds > 0 else None
        # A payment provider's hosted page that our forms redirect to: Chromium applies
        # form-action to the redirects that follow a form submission too.
        self.form_action = " ".join(["'self'", *(form_targets or [])])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        private = scope["path"].startswith(PRIVATE_PREFIXES) or scope["path"] in PRIVATE_PATHS
        scope.setdefault("state", {})["csp_nonce"] = nonce
        csp = (
            "default-src 'self'; img-src 'self' https: data:; "
            f"style-src 'self' 'nonce-{nonce}'; script-src 'self'; "
            f"form-action {self.form_action}; "
            "base-uri 'none'; object-src 'none'; "
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                # Embed pages say who may frame them (web/embed.py); nothing else may be framed.
                ancestors = scope["state"].get("frame_ancestors")
                policy = f"{csp}frame-ancestors {ancestors or NO_FRAMING}"
                defaults = [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ]
                if not ancestors:
                    defaults.append((b"x-frame-options", b"DENY"))
                if self.hsts and scope.get("scheme") == "https":
                    defaults.append((b"strict-transport-security", self.hsts))
                if private:
                    defaults += [
                        (b"referrer-policy", b"no-referrer"),
                        (b"cache-control", b"no-store"),
                    ]
                else:
                    defaults.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                headers += [(k, v) for k, v in defaults if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before anyone parses them.

    ``larger`` raises the cap for a few exact paths (a form with a file upload), so the
    page itself can explain a file that is too big instead of this bare refusal; a key
    ending in ``/`` raises it for every path under it (``/webhooks/``: each provider's).
    """

    def __init__(
        self, app: ASGIApp, limit: int = MAX_BODY_BYTES, larger: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await _too_large(scope, send)

    def _limit(self, path: str) -> int:
        if path in self.larger:
            return self.larger[path]
        return next(
            (n for key, n in self.larger.items() if key.endswith("/") and path.startswith(key)),
            self.limit,
        )


class BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send) -> None:
    """413 before anything reads the body."""
    await send_refusal(
        scope,
        send,
        413,
        code="body_too_large",
        detail="The request body is too large.",
        title=_("That was too much to send"),
        message=_(
            "Nothing was saved. Please go back and try again with less: shorter text, "
            "or a smaller file."
        ),
    )
