"""The "notify me" list's public side: ask (double opt-in: a confirmation email first),
confirm, and unsubscribe in one click (RFC 8058: mail apps POST to the same URL)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..booking.catalog import studio_by_id, studio_by_slug
from ..booking.notify_list import (
    ask_to_subscribe,
    confirm,
    subscriber_by_public_id,
    unsubscribe,
)
from . import language
from .forms import read_form
from .pages import render


async def ask_page(request: Request) -> Response:
    """POST email: queue the confirmation email, and say so (whatever the address's state)."""
    studio = await studio_by_slug(request.app.state.db, request.path_params["studio"])
    if studio is None:
        raise HTTPException(404)
    form = await read_form(request)
    raw = form.get("email", "").strip()[:320]
    try:
        email = validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return render(
            request,
            "public/notify_done.html",
            {"state": "invalid", "email": raw},
            status_code=422,
            studio=studio,
        )
    address = request.client.host if request.client else ""
    refusal = await request.app.state.hold_limiter.attempt(address, email)
    if refusal is None:
        await ask_to_subscribe(
            request.app.state.db,
            studio.id,
            email,
            request.app.state.clock(),
            language=language.chosen_by_client(request),
        )
    return render(
        request, "public/notify_done.html", {"state": "asked", "email": email}, studio=studio
    )


async def _subscriber_page(request: Request, action: str) -> Response:
    public_id = request.app.state.tokens.read_subscriber(request.path_params["token"])
    db = request.app.state.db
    subscriber = await subscriber_by_public_id(db, public_id) if public_id else None
    studio = await studio_by_id(db, subscriber.studio_id) if subscriber else None
    if subscriber is None or studio is None:
        raise HTTPException(404)
    state = subscriber.state
    if request.method == "POST":
        now = request.app.state.clock()
        if action == "confirm" and await confirm(db, subscriber.id, now):
            state = "confirmed"
        if action == "unsubscribe":
            await unsubscribe(db, subscriber.id, now)
            state = "unsubscribed"
    return render(
        request,
        "public/notify_done.html",
        {"state": state, "action": action, "email": subscriber.email, "posted": request.method},
        studio=studio,
    )


async def confirm_page(request: Request) -> Response:
    """GET asks (mail scanners follow links), POST confirms."""
    return await _subscriber_page(request, "confirm")


async def unsubscribe_page(request: Request) -> Response:
    """GET asks; POST (the page's button, or a mail app's one-click) unsubscribes at once."""
    return await _subscriber_page(request, "unsubscribe")


routes: list[BaseRoute] = [
    Route("/notify/{token}/confirm", confirm_page, methods=["GET", "POST"]),
    Route("/notify/{token}/unsubscribe", unsubscribe_page, methods=["GET", "POST"]),
    Route("/embed/{studio}/notify", ask_page, methods=["POST"]),
    Route("/{studio}/notify", ask_page, methods=["POST"]),
]
