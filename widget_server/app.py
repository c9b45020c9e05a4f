"""create_app(settings): routes, middleware and lifespan. The CLI and tests both build it here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from .booking.clock import Clock, system_clock
from .booking.tokens import BookingTokens
from .config import Settings, load_settings
from .db.availability import ReadinessProbe
from .db.connection import create_database
from .db.transactions import on_commit
from .mail.sender import send_mail_forever
from .outgoing.sender import send_webhooks_forever
from .payments import PaymentMethods
from .shutdown import settle, stop_background
from .studio.page_views import ViewCounter, flush_at_exit, flush_views_forever
from .supervisor_watch import stop_when_supervisor_dies, supervisor
from .upkeep import upkeep_forever
from .web import (
    changes,
    checkout,
    client,
    intake,
    loader,
    logos,
    notify,
    paths,
    payments,
    public,
    site,
    waitlist,
    webhooks,
)
from .web.access_log import redact_access_log
from .web.admin import routes as admin
from .web.admin.minis import MAX_BODY_BYTES as MINI_FORM_MAX_BODY_BYTES
from .web.admin.ratelimit import LoginLimiter
from .web.admin.settings import MAX_BODY_BYTES as SETTINGS_MAX_BODY_BYTES
from .web.api import routes as api
from .web.availability_cache import AvailabilityCache
from .web.compression import PageGZip
from .web.language import ClientLanguage
from .web.outage import DatabaseOutage
from .web.pages import http_exception, server_error
from .web.rate_limits import HoldLimiter
from .web.request_body import ReadBodyFirst
from .web.request_connection import RequestConnection
from .web.route_index import IndexedRouter
from .web.security import BodyLimit, SecurityHeaders
from .web.templating import make_templates

logger = logging.getLogger("minis")

UPKEEP_INTERVAL_SECONDS = 30
# /readyz: the database must answer SELECT 1 within this many seconds.
READY_TIMEOUT_SECONDS = 2
# Shutdown waits at most this long to save the last page view counts.
VIEWS_FLUSH_AT_EXIT_SECONDS = 2


# Each area declares its routes; the studios' catch-all pages come last, as any first
# path segment not taken before them is a studio's slug.
ROUTES: list[BaseRoute] = [
    *paths.routes,  # first: a path with control characters is a 404 before any lookup
    *site.routes,
    *loader.routes,
    *logos.routes,
    *client.routes,
    *intake.routes,
    *checkout.routes,
    *payments.routes,
    *changes.routes,
    *webhooks.routes,
    *api.routes,
    *admin.routes,
    *waitlist.routes,
    *notify.routes,
    *public.routes,
]


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> Starlette:
    settings = settings or load_settings()
    loader.minify_all()
    db = create_database(settings.database_url)
    methods = PaymentMethods.from_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.connect()
        sweeper = (
            asyncio.create_task(
                upkeep_forever(db, app.state.clock, methods, UPKEEP_INTERVAL_SECONDS)
            )
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
        # Page views are counted in memory and written in batches (studio/page_views.py).
        views_flusher = asyncio.create_task(flush_views_forever(db, app.state.views))
        # Outgoing webhooks, with the other background jobs (or in `minis worker`).
        hooks = (
            asyncio.create_task(
                send_webhooks_forever(
                    db, app.state.clock, allow_private=settings.webhooks_allow_private
                )
            )
            if settings.run_sweeper
            else None
        )
        # A worker of `minis serve --workers N` stops when its supervisor is killed.
        parent = supervisor()
        watcher = asyncio.create_task(stop_when_supervisor_dies(parent)) if parent else None
        try:
            yield
        finally:
            if watcher:
                watcher.cancel()
            views_flusher.cancel()
            if hooks:
                # Safe to interrupt: a delivery in flight is sent again (same webhook-id)
                # once its lease runs out.
                hooks.cancel()
            await settle([views_flusher, hooks])
            # The last view counts are saved alongside the shutdown, never in front of it:
            # a silent database costs the exit no extra time. Bounded: see shutdown.py.
            await asyncio.gather(
                flush_at_exit(db, app.state.views, VIEWS_FLUSH_AT_EXIT_SECONDS),
                stop_background(
                    db, app.state.readiness, sweeper=sweeper, mailer=mailer, stop_mail=stop_mail
                ),
            )

    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(PageGZip, minimum_size=500),
            # The client's language before anything can answer (a refusal or an outage
            # page speaks it too).
            Middleware(ClientLanguage),
            Middleware(
                SecurityHeaders,
                form_targets=methods.form_origins(),
                hsts_seconds=settings.hsts_seconds,
            ),
            Middleware(
                BodyLimit,
                larger={
                    "/admin/settings": SETTINGS_MAX_BODY_BYTES,
                    # the mini session forms carry its picture (new, and /admin/minis/<id>/edit)
                    "/admin/minis/": MINI_FORM_MAX_BODY_BYTES,
                    "/webhooks/": webhooks.MAX_BODY_BYTES,
                },
            ),
            Middleware(DatabaseOutage),
            # The body first, then a database connection: a stalled upload holds none.
            Middleware(ReadBodyFirst, timeout=settings.request_body_timeout),
            Middleware(RequestConnection, db=db),
        ],
        exception_handlers={HTTPException: http_exception, Exception: server_error},
        lifespan=lifespan,
    )
    # The same routes, each request trying only those its first segment can match.
    app.router = IndexedRouter(ROUTES, lifespan=lifespan)
    redact_access_log()
    app.state.settings = settings
    app.state.payments = methods
    app.state.db = db
    app.state.views = ViewCounter()
    # What the mini session's page read, for a second at most; forgotten at each commit.
    app.state.availability = AvailabilityCache(settings.availability_cache_seconds)
    on_commit(db, app.state.availability.note_commit)
    app.state.readiness = ReadinessProbe(db, READY_TIMEOUT_SECONDS)
    app.state.clock = clock
    app.state.tokens = BookingTokens(settings.secret_key)
    app.state.templates = make_templates()
    app.state.login_limiter = LoginLimiter.from_settings(settings)
    app.state.hold_limiter = HoldLimiter.from_settings(settings)
    return app


def app_from_env() -> Starlette:
    """Factory for uvicorn (``minis serve`` runs it in each worker process).

    For real: it refuses to start with ``MINIS_DEMO=1`` or a weak or public
    ``MINIS_SECRET_KEY`` (config.load_settings).
    """
    return create_app(load_settings())


def demo_app_from_env() -> Starlette:
    """Factory for the demo under uvicorn with several worker processes, as the tests' live
    servers run it: test-card payments, any key of 16+ characters. Never in production."""
    return create_app(load_settings(demo=True))
