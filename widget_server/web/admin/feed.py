"""The calendar feed: a secret ``.ics`` URL per studio, and the dashboard page that shows it.

The feed itself is deliberately *not* behind the login (calendar apps cannot log in):
the signed token in its path is the credential (booking/feed.py). Anything but the
studio's live token gets the same 404, so a stranger learns nothing from probing.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.catalog import studio_by_id
from ...i18n import gettext as _
from ...studio.export import feed_bookings
from ...studio.feed import (
    FeedTokens,
    current_feed_token,
    rotate_feed,
    studio_feed_ics,
    studio_for_feed,
)
from .auth import Admin, admin_context, admin_page
from .pages import admin_error, admin_render

PAST_DAYS = 30  # recent sessions stay visible (e.g. to look up who came) for a month
CACHE_SECONDS = 300


def _tokens(request: Request) -> FeedTokens:
    return FeedTokens(request.app.state.settings.secret_key)


def feed_url(request: Request, token: str) -> str:
    base = request.app.state.settings.base_url.rstrip("/")
    return f"{base}/admin/feed/{token}.ics"


async def feed_file(request: Request) -> Response:
    """GET: the studio's booked sessions, upcoming and the last 30 days, as iCalendar."""
    db = request.app.state.db
    studio_id = await studio_for_feed(db, _tokens(request), request.path_params["token"])
    studio = await studio_by_id(db, studio_id) if studio_id is not None else None
    if studio is None:
        return admin_error(
            request,
            None,
            404,
            _(
                "This calendar link does not work (any more). "
                "Copy the current link from the dashboard's Calendar feed page."
            ),
        )
    now = request.app.state.clock()
    rows = await feed_bookings(db, studio.id, now - timedelta(days=PAST_DAYS))
    return Response(
        studio_feed_ics(studio.name, rows, studio.currency, now),
        media_type="text/calendar; charset=utf-8",
        headers={"cache-control": f"private, max-age={CACHE_SECONDS}"},
    )


@admin_page
async def feed_page(request: Request, admin: Admin) -> Response:
    """The feed's URL to paste into a calendar app, and the button that revokes it."""
    token = await current_feed_token(request.app.state.db, _tokens(request), admin.studio.id)
    url = feed_url(request, token)
    return admin_render(
        request,
        "admin/feed.html",
        {
            **admin_context(admin),
            "title": _("Calendar feed"),
            "url": url,
            "webcal": "webcal://" + url.split("://", 1)[1],
            "renewed": request.query_params.get("done") == "new",
        },
        session=admin.session,
    )


@admin_page
async def new_feed_link(request: Request, admin: Admin) -> Response:
    """POST: a new feed URL; the old one answers 404 from now on."""
    await rotate_feed(request.app.state.db, admin.studio.id)
    return RedirectResponse("/admin/feed?done=new", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/feed", feed_page),
    Route("/admin/feed/new", new_feed_link, methods=["POST"]),
    Route("/admin/feed/{token}.ics", feed_file),
]
