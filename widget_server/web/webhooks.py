"""Payment providers' notifications: raw body in, handed to the method, JSON out.

Nothing may touch the body before the method has checked its signature (no form
parsing, no re-encoding); BodyLimit only counts it. Errors are JSON with a stable
``code``: 404 for a method this deployment doesn't take, 400 for a request that is
not a genuine, current event (the provider will not fix it by retrying), 503 when
acting on it needs the provider and it is down (the provider retries later, and every
effect is idempotent).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..payments.base import PaymentUnavailable, WebhookDelivery, WebhookRejected

logger = logging.getLogger("minis.payments")


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def payment_webhook(request: Request) -> Response:
    key = request.path_params["method"]
    method = request.app.state.payments.get(key)
    if method is None or not method.enabled:
        return _error(404, "not_configured", f"{key} payments are not enabled here")
    delivery = WebhookDelivery(
        db=request.app.state.db,
        body=await request.body(),
        headers=request.headers,
        now=request.app.state.clock(),
    )
    try:
        outcome = await method.receive_webhook(delivery)
    except WebhookRejected as exc:
        logger.warning("%s webhook rejected: %s", key, exc.code)
        return _error(400, exc.code, str(exc))
    except PaymentUnavailable:
        return _error(503, "provider_unavailable", f"{key} could not be reached; retry later")
    logger.info("%s webhook: %s", key, outcome)
    return JSONResponse({"received": True, "outcome": outcome})


routes: list[BaseRoute] = [
    Route("/webhooks/{method}", payment_webhook, methods=["POST"]),
]
