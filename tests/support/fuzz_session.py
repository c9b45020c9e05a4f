"""A fuzz run end to end, for tests/test_fuzz.py and ``make fuzz`` (bench/fuzz.py).

On top of the test world (tests/support/world.py): Stripe offered, a logo, a login for
Acme's photographer, and bookings in every state made over HTTP; then a crawl of the
pages (tests/support/crawl.py) and the requests (tests/support/fuzz.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from databases import Database
from starlette.routing import BaseRoute
from starlette.testclient import TestClient

from widget_server.booking.catalog import studio_by_slug
from widget_server.db.transactions import write_transaction
from widget_server.studio.logos import check_logo, replace_logo

from .admin import ACME_EMAIL, add_user, csrf_from, log_in
from .clock import FakeClock
from .crawl import Site, crawl, local
from .databases import run_db
from .flow import accept_quote, book_with_demo_card, start
from .fuzz import Generator, Known, Outcome, Visitor, known_values, route_key, run
from .stripe_flow import return_from_checkout, start_card_checkout
from .stripe_server import StandInStripe
from .world import World, offer_stripe

DEFAULT_SEED = 20261124


def stripe_sessions(stripe_api: StandInStripe) -> list[dict[str, Any]]:
    """The stand-in's Checkout Sessions, for events that name real ones."""
    with stripe_api._lock:  # the stand-in's own lock: its server thread writes these
        return [dict(s) for s in stripe_api.sessions.values()]


def seed_bookings(client: TestClient, stripe_api: StandInStripe, world: World) -> list[str]:
    """Bookings in every state a page can show, so the crawl finds their pages and forms:
    held, paid by the demo card, offline, free, paying on Stripe and paid on Stripe."""
    tokens = [
        start(client, world.slots["portraits"][0]),
        book_with_demo_card(client, world.slots["portraits"][1]),
        start(client, world.slots["free-day"][0], "free-day"),
    ]
    offline = start(client, world.slots["family"][0], "family")
    accept_quote(client, offline)
    client.post(f"/b/{offline}/pay", data={"method": "offline"})
    tokens.append(offline)
    for slot in world.slots["card-only"][:2]:
        token, session_id = start_card_checkout(client, stripe_api, slot)
        tokens.append(token)
    stripe_api.pay(session_id)
    return_from_checkout(client, token, session_id)
    return tokens


def crawl_starts(tokens: list[str], studios: list[str], stripe_api: StandInStripe) -> list[str]:
    """Where the crawl begins: the home page, the dashboard, each studio and booking, and the
    return from Stripe (a redirect no page links to)."""
    starts = ["/", "/admin", "/admin/minis", "/admin/locations", "/admin/settings"]
    starts += [f"/{s}" for s in studios] + [f"/embed/{s}" for s in studios]
    starts += [f"/b/{t}" for t in tokens]
    sessions = stripe_sessions(stripe_api)
    returns = [s["success_url"].replace("{CHECKOUT_SESSION_ID}", s["id"]) for s in sessions]
    return starts + [local(url) or url for url in returns]


LOGO = b"\x89PNG\r\n\x1a\n" + bytes(64)  # a PNG's signature is all the check needs
CRAWL_PAGES = 120


def prepare_database(db_url: str, clock: FakeClock) -> None:
    """On top of the test world: Stripe offered, a login for Acme's photographer, a logo
    (so /logos/... has a real file to find)."""

    async def work(db: Database) -> None:
        await offer_stripe(db)
        studio = await studio_by_slug(db, "acme")
        assert studio is not None
        async with write_transaction(db):
            await replace_logo(db, studio.id, check_logo(LOGO), clock())

    run_db(db_url, work)
    add_user(db_url, clock, "acme", ACME_EMAIL)


@dataclass
class Session:
    """One fuzz run and what it found on the way."""

    site: Site
    known: Known
    generator: Generator
    outcome: Outcome
    routes: list[BaseRoute]

    @property
    def crawl_errors(self) -> list[tuple[str, int]]:
        return [(url, status) for url, status in self.site.responses if status >= 500]

    @property
    def uncovered(self) -> set[str]:
        """Routes no request was made for (there should be none)."""
        return {route_key(r) for r in self.routes} - self.generator.covered


def session(
    client: TestClient, stripe_api: StandInStripe, world: World, count: int, seed: int
) -> Session:
    """Bookings in every state, a crawl of the pages (logged in, and the login form as a
    visitor), then ``count`` requests from ``seed``. ``client`` is logged in as Acme's
    photographer and answers a 500 with a response, not an exception."""
    tokens = seed_bookings(client, stripe_api, world)
    site = crawl(client, crawl_starts(tokens, ["acme", "rival"], stripe_api), CRAWL_PAGES)
    visitor = Visitor(client)
    with visitor.turn() as as_visitor:
        login = crawl(as_visitor, ["/admin"], 1)
    for form in login.forms:
        form.visitor = True
    site.forms += login.forms
    routes = client.app.routes  # type: ignore[attr-defined]
    known = known_values(routes, site, stripe_sessions(stripe_api))
    generator = Generator(random.Random(seed), routes, site, known)

    def stay_logged_in() -> None:
        """Log in again if a request ended the session (none should: see SESSION_ENDING)."""
        if client.get("/admin/bookings").status_code != 200:
            log_in(client)
            known.csrf = csrf_from(client.get("/admin/bookings").text)

    outcome = run(client, generator, count, seed, visitor=visitor, check_session=stay_logged_in)
    return Session(site, known, generator, outcome, routes)
