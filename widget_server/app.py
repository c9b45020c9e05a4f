"""create_app(settings): routes, middleware and lifespan. The CLI and tests both build it here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .booking.clock import Clock, system_clock
from .booking.tokens import BookingTokens
from .config import Settings, load_settings
from .db.connection import create_database
from .mail.sender import send_mail_forever
from .payments.stripe import STRIPE, hosted_page_origins
from .upkeep import upkeep_forever
from .web import changes, client, logos, public, stripe_pages, webhooks
from .web.access_log import redact_access_log
from .web.admin import actions as admin_actions
from .web.admin import auth as admin_auth
from .web.admin import bookings as admin_bookings
from .web.admin import days as admin_days
from .web.admin import emails as admin_emails
from .web.admin import export as admin_export
from .web.admin import feed as admin_feed
from .web.admin import locations as admin_locations
from .web.admin import minis as admin_minis
from .web.admin import settings as admin_settings
from .web.admin import share as admin_share
from .web.admin.ratelimit import LoginLimiter
from .web.loader import embed_script, minify_all
from .web.pages import http_exception, render, server_error
from .web.request_connection import RequestConnection
from .web.security import BodyLimit, SecurityHeaders
from .web.templating import STATIC, make_templates, static_url

logger = logging.getLogger("minis")

UPKEEP_INTERVAL_SECONDS = 30
# How long shutdown waits for the mail sender to finish the email it is sending.
MAIL_SHUTDOWN_SECONDS = 70


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def favicon(request: Request) -> Response:
    """Crawlers ask for /favicon.ico whatever a page links; answer it without a database query."""
    return RedirectResponse(static_url("icon.svg"), status_code=302)


async def home(request: Request) -> Response:
    return render(request, "home.html", {"demo": request.app.state.settings.demo})


class CachedStatic(StaticFiles):
    """Static files under versioned URLs (templating.static_url): cache for a year."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> Starlette:
    settings = settings or load_settings()
    minify_all()
    db = create_database(settings.database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.connect()
        sweeper = (
            asyncio.create_task(upkeep_forever(db, app.state.clock, UPKEEP_INTERVAL_SECONDS))
            if settings.run_sweeper
            else None
        )
        stop_mail = asyncio.Event()
        # Queues due reminders; sends only when MINIS_SMTP_URL is set.
        mailer = (
            asyncio.create_task(send_mail_forever(db, settings, app.state.clock, stop=stop_mail))
            if settings.run_mailer
            else None
        )
        try:
            yield
        finally:
            if mailer:
                # Let the sender finish the email in hand (sent and marked), then stop.
                stop_mail.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(mailer), MAIL_SHUTDOWN_SECONDS)
            for task in (sweeper, mailer):
                if task:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await db.disconnect()

    token_page = ["GET", "POST"]
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/favicon.ico", favicon),
        Mount("/static", CachedStatic(directory=str(STATIC)), name="static"),
        Route("/logos/{studio}/{file}", logos.logo_file),
        Route("/embed.js", embed_script),
        Route("/embed-dialog.js", embed_script),
        Route("/embed/b/{token}", client.handoff_page),
        Route("/embed/{studio}", public.studio_page),
        Route("/embed/{studio}/{mini}", public.mini_page),
        Route("/embed/{studio}/{mini}/book", public.book_page, methods=token_page),
        Route("/b/{token}", client.confirmation_page),
        Route("/b/{token}/quote", client.quote_page, methods=token_page),
        Route("/b/{token}/pay", client.choose_payment_page, methods=token_page),
        Route("/b/{token}/pay/{method}", client.method_page, methods=token_page),
        Route("/b/{token}/calendar.ics", client.calendar_file),
        Route("/b/{token}/stripe/return", stripe_pages.checkout_return),
        Route("/b/{token}/balance", stripe_pages.pay_balance, methods=["POST"]),
        Route("/webhooks/stripe", webhooks.stripe_webhook, methods=["POST"]),
        Route("/b/{token}/reschedule", changes.reschedule_page, methods=token_page),
        Route("/b/{token}/cancel", changes.cancel_page, methods=token_page),
        Route("/admin", admin_auth.login_page, methods=["GET", "POST"]),
        Route("/admin/logout", admin_auth.logout, methods=["POST"]),
        Route("/admin/logout-everywhere", admin_auth.logout_everywhere, methods=["POST"]),
        Route("/admin/bookings", admin_bookings.bookings_page),
        Route("/admin/bookings.csv", admin_export.bookings_csv),
        Route("/admin/feed", admin_feed.feed_page),
        Route("/admin/feed/new", admin_feed.new_feed_link, methods=["POST"]),
        Route("/admin/feed/{token}.ics", admin_feed.feed_file),
        Route("/admin/share", admin_share.share_page),
        Route("/admin/emails", admin_emails.emails_page),
        Route("/admin/emails/{email_id:int}", admin_emails.email_page),
        Route("/admin/emails/{email_id:int}/html", admin_emails.email_html),
        Route("/admin/bookings/{booking_id:int}", admin_bookings.booking_page),
        Route(
            "/admin/bookings/{booking_id:int}/payments/{payment_id:int}/mark-paid",
            admin_bookings.mark_paid,
            methods=["POST"],
        ),
        Route("/admin/minis/{mini_id:int}/days/{day_id:int}", admin_bookings.day_sheet_page),
        Route("/admin/minis", admin_minis.minis_page),
        Route("/admin/minis/new", admin_minis.new_mini_page, methods=["GET", "POST"]),
        Route("/admin/minis/{mini_id:int}", admin_minis.mini_page),
        Route(
            "/admin/minis/{mini_id:int}/edit", admin_minis.edit_mini_page, methods=["GET", "POST"]
        ),
        Route(
            "/admin/minis/{mini_id:int}/duplicate",
            admin_minis.duplicate_mini_action,
            methods=["POST"],
        ),
        Route(
            "/admin/minis/{mini_id:int}/archive", admin_minis.archive_mini_action, methods=["POST"]
        ),
        Route("/admin/minis/{mini_id:int}/days", admin_days.add_day_action, methods=["POST"]),
        Route(
            "/admin/minis/{mini_id:int}/days/{day_id:int}/edit",
            admin_days.day_edit_page,
            methods=["GET", "POST"],
        ),
        Route(
            "/admin/minis/{mini_id:int}/days/{day_id:int}/delete",
            admin_days.delete_day_page,
            methods=["GET", "POST"],
        ),
        Route(
            "/admin/minis/{mini_id:int}/days/{day_id:int}/slots",
            admin_days.add_slot_action,
            methods=["POST"],
        ),
        Route(
            "/admin/minis/{mini_id:int}/days/{day_id:int}/slots/{slot_id:int}/block",
            admin_days.block_slot_action,
            methods=["POST"],
        ),
        Route(
            "/admin/bookings/{booking_id:int}/cancel",
            admin_actions.cancel_booking,
            methods=["POST"],
        ),
        Route(
            "/admin/bookings/{booking_id:int}/move",
            admin_actions.move_page,
            methods=["GET", "POST"],
        ),
        Route(
            "/admin/bookings/{booking_id:int}/payments/{payment_id:int}/refund",
            admin_actions.refund,
            methods=["POST"],
        ),
        Route(
            "/admin/bookings/{booking_id:int}/refunds/retry",
            admin_actions.retry_refunds,
            methods=["POST"],
        ),
        Route(
            "/admin/bookings/{booking_id:int}/lead/close",
            admin_actions.close_booking_lead,
            methods=["POST"],
        ),
        Route(
            "/admin/bookings/{booking_id:int}/lead/reopen",
            admin_actions.reopen_booking_lead,
            methods=["POST"],
        ),
        Route("/admin/settings", admin_settings.settings_page),
        Route("/admin/settings", admin_settings.save_settings_page, methods=["POST"]),
        Route("/admin/locations", admin_locations.locations_page),
        Route("/admin/locations/new", admin_locations.new_location_page, methods=["GET", "POST"]),
        Route(
            "/admin/locations/{location_id:int}",
            admin_locations.location_page,
            methods=["GET", "POST"],
        ),
        Route(
            "/admin/locations/{location_id:int}/archive",
            admin_locations.archive_page,
            methods=["POST"],
        ),
        Route(
            "/admin/locations/{location_id:int}/unarchive",
            admin_locations.unarchive_page,
            methods=["POST"],
        ),
        Route("/{studio}", public.studio_page),
        Route("/{studio}/{mini}", public.mini_page),
        Route("/{studio}/{mini}/book", public.book_page, methods=token_page),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(GZipMiddleware, minimum_size=500),
            Middleware(SecurityHeaders, form_targets=hosted_page_origins(settings)),
            Middleware(BodyLimit, larger={"/admin/settings": admin_settings.MAX_BODY_BYTES}),
            Middleware(RequestConnection, db=db),
        ],
        exception_handlers={HTTPException: http_exception, Exception: server_error},
        lifespan=lifespan,
    )
    redact_access_log()
    app.state.settings = settings
    if STRIPE.enabled(settings):
        STRIPE.configure(settings)  # one Stripe account per deployment
    app.state.db = db
    app.state.clock = clock
    app.state.tokens = BookingTokens(settings.secret_key)
    app.state.templates = make_templates()
    app.state.login_limiter = LoginLimiter.from_settings(settings)
    return app


def app_from_env() -> Starlette:
    """Factory for uvicorn (``minis serve`` runs it in each worker process)."""
    return create_app(load_settings())
