"""Hostile traffic over every route and form: no request may get a 5xx, on either database.

A few hundred seeded requests per database (tests/support/fuzz.py): every route of
``app.routes`` with real and hostile path values, every form the crawl finds (the dashboard's
with a valid CSRF token), and signed Stripe events, well-formed or not. ``make fuzz``
(bench/fuzz.py) runs the same generator for 10,000 requests and more.
``MINIS_FUZZ_SEED`` and ``MINIS_FUZZ_REQUESTS`` replay a failure or run longer.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
from databases import Database
from starlette.testclient import TestClient

from tests.support import fuzz
from tests.support.admin import ACME_EMAIL, add_user, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.crawl import crawl
from tests.support.databases import run_db
from tests.support.stripe_server import StandInStripe
from tests.support.world import World, offer_stripe
from widget_server.app import create_app
from widget_server.booking.catalog import studio_by_slug
from widget_server.config import Settings
from widget_server.db.transactions import write_transaction
from widget_server.studio.logos import check_logo, replace_logo

REQUESTS = int(os.environ.get("MINIS_FUZZ_REQUESTS", "300"))
SEED = int(os.environ.get("MINIS_FUZZ_SEED", str(fuzz.DEFAULT_SEED)))
CRAWL_PAGES = 120
LOGO = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _add_logo(db_url: str, clock: FakeClock) -> None:
    async def work(db: Database) -> None:
        studio = await studio_by_slug(db, "acme")
        assert studio is not None
        async with write_transaction(db):
            await replace_logo(db, studio.id, check_logo(LOGO), clock())

    run_db(db_url, work)


@pytest.fixture
def fuzz_client(
    stripe_settings: Settings, clock: FakeClock, world: World, db_url: str
) -> Iterator[TestClient]:
    """The app with every payment method on, Acme's photographer logged in, a logo; a 500
    comes back as a response (to be counted) instead of an exception."""
    run_db(db_url, offer_stripe)
    add_user(db_url, clock, "acme", ACME_EMAIL)
    _add_logo(db_url, clock)
    app = create_app(stripe_settings, clock=clock)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        log_in(client)
        yield client


def test_no_request_gets_a_server_error(
    fuzz_client: TestClient, stripe_api: StandInStripe, world: World
) -> None:
    tokens = fuzz.seed_bookings(fuzz_client, stripe_api, world)
    starts = fuzz.crawl_starts(tokens, ["acme", "rival"], stripe_api)
    site = crawl(fuzz_client, starts, CRAWL_PAGES)
    # The login form, as someone not logged in sees it (with their own form token).
    visitor = fuzz.Visitor(fuzz_client)
    with visitor.turn() as as_visitor:
        login = crawl(as_visitor, ["/admin"], 1)
    for form in login.forms:
        form.visitor = True
    site.forms += login.forms
    crawl_errors = [(url, status) for url, status in site.responses if status >= 500]
    assert not crawl_errors
    routes = fuzz_client.app.routes  # type: ignore[attr-defined]
    known = fuzz.known_values(routes, site, fuzz.stripe_sessions(stripe_api))
    # The crawl reached the dashboard and the client's pages, so real values get fuzzed.
    assert known.csrf and {"token", "studio", "mini", "booking_id", "day_id"} <= set(
        known.path_values
    )
    generator = fuzz.Generator(random.Random(SEED), routes, site, known)

    def stay_logged_in() -> None:
        """Log in again if a request ended the session (none should: see SESSION_ENDING)."""
        if fuzz_client.get("/admin/bookings").status_code != 200:
            log_in(fuzz_client)
            known.csrf = csrf_from(fuzz_client.get("/admin/bookings").text)

    outcome = fuzz.run(
        fuzz_client, generator, REQUESTS, SEED, visitor=visitor, check_session=stay_logged_in
    )
    print(outcome.report())
    assert outcome.server_errors == 0, outcome.report()
    # Every route was fuzzed, and most requests were sent as generated.
    uncovered = {fuzz.route_key(r) for r in routes} - generator.covered
    assert not uncovered
    assert outcome.not_sent < REQUESTS // 20, outcome.report()
