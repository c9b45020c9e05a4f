"""Payment provider webhooks: raw body in, signature checked, JSON out.

Nothing may touch the body before the signature check (no form parsing, no
re-encoding); BodyLimit only counts it. Errors are JSON with a stable ``code``:
400 for a request that is not a genuine, current event (the provider will not
fix it by retrying), 503 when acting on it needs the provider and it is down
(the provider retries later, and every effect is idempotent).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..payments.base import PaymentUnavailable
from ..payments.stripe_events import WebhookRejected, handle_event, verify_event

logger = logging.getLogger("minis.stripe")


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def stripe_webhook(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.stripe_secret_key:
        return _error(404, "not_configured", "card payments are not enabled here")
    payload = await request.body()
    try:
        event = verify_event(settings, payload, request.headers.get("stripe-signature"))
    except WebhookRejected as exc:
        logger.warning("Stripe webhook rejected: %s", exc.code)
        return _error(400, exc.code, str(exc))
    try:
        outcome = await handle_event(request.app.state.db, event, request.app.state.clock())
    except PaymentUnavailable:
        return _error(503, "provider_unavailable", "Stripe could not be reached; retry later")
    logger.info("Stripe event %s %s: %s", event.get("id"), event.get("type"), outcome)
    return JSONResponse({"received": True, "outcome": outcome})
