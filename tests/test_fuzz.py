"""Hostile traffic over every route and form: no request may get a 5xx, on either database.

A few hundred seeded requests per database (tests/support/fuzz.py): every route of
``app.routes`` with real and hostile path values, every form the crawl finds (the dashboard's
with a valid CSRF token, the login form logged out), and signed Stripe events, well-formed
or not. ``make fuzz`` (bench/fuzz.py) runs the same generator for 10,000 requests and more.
``MINIS_FUZZ_SEED`` and ``MINIS_FUZZ_REQUESTS`` replay a failure or run longer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.support import fuzz_session
from tests.support.admin import log_in
from tests.support.clock import FakeClock
from tests.support.stripe_server import StandInStripe
from tests.support.world import World
from widget_server.app import create_app
from widget_server.config import Settings

REQUESTS = int(os.environ.get("MINIS_FUZZ_REQUESTS", "300"))
SEED = int(os.environ.get("MINIS_FUZZ_SEED", str(fuzz_session.DEFAULT_SEED)))


@pytest.fixture
def fuzz_client(
    stripe_settings: Settings, clock: FakeClock, world: World, db_url: str
) -> Iterator[TestClient]:
    """The app with every payment method on, Acme's photographer logged in, a logo; a 500
    comes back as a response (to be counted) instead of an exception."""
    fuzz_session.prepare_database(db_url, clock)
    app = create_app(stripe_settings, clock=clock)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        log_in(client)
        yield client


def test_no_request_gets_a_server_error(
    fuzz_client: TestClient, stripe_api: StandInStripe, world: World
) -> None:
    # Routes are taken in turn by about a third of the requests: enough requests for every
    # route to get its turn, however many routes the app has.
    count = max(REQUESTS, 4 * len(fuzz_client.app.routes))  # type: ignore[attr-defined]
    run = fuzz_session.session(fuzz_client, stripe_api, world, count, SEED)
    report = run.outcome.report()
    print(report)
    assert not run.crawl_errors
    assert run.outcome.server_errors == 0, report
    # The crawl reached the dashboard and the client's pages, so real values got fuzzed;
    # every route was, and most requests were sent as generated.
    assert run.known.csrf
    assert {"token", "studio", "mini", "booking_id", "day_id"} <= set(run.known.path_values)
    assert not run.uncovered
    assert run.outcome.not_sent < count // 20, report
