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
from .refusals import json_error

logger = logging.getLogger("minis.payments")

# The body cap under /webhooks/ (BodyLimit; 64 KB elsewhere). Stripe documents no maximum
# for an event's body, and an event carries the whole object it is about: a Checkout
# Session or a Charge with its refunds list, each with up to 50 metadata pairs of 40 + 500
# characters (Stripe's documented metadata limits: ~27 KB on their own), besides line
# items, addresses and nested objects. An event over the cap is refused with 413, then
# redelivered and refused again until Stripe gives up (days later): its payment is never
# recorded. 512 KB is several times the largest object we can picture, and still bounds
# what an unsigned sender can make us read before the signature is checked.
MAX_BODY_BYTES = 512 * 1024


async def payment_webhook(request: Request) -> Response:
    key = request.path_params["method"]
    method = request.app.state.payments.get(key)
    if method is None or not method.enabled:
        return json_error(404, "not_configured", f"{key} payments are not enabled here")
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
        return json_error(400, exc.code, str(exc))
    except PaymentUnavailable:
        return json_error(503, "provider_unavailable", f"{key} could not be reached; retry later")
    logger.info("%s webhook: %s", key, outcome)
    return JSONResponse({"received": True, "outcome": outcome})


routes: list[BaseRoute] = [
    Route("/webhooks/{method}", payment_webhook, methods=["POST"]),
]
