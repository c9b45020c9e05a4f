"""Fixtures: every database test runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import asyncio
import functools
import shutil
from collections.abc import Generator, Iterator
from copy import deepcopy
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support.admin import ACME_EMAIL, RIVAL_EMAIL, add_user, log_in
from tests.support.clock import FakeClock
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    make_sqlite_template,
    postgres_admin_url,
    restore_postgres,
    run_db,
    snapshot_postgres,
    sqlite_copy,
    truncate_all,
)
from tests.support.keys import STRONG_SECRET_KEY
from tests.support.smtp import SmtpServer
from tests.support.stripe_server import SECRET_KEY as STRIPE_SECRET_KEY
from tests.support.stripe_server import WEBHOOK_SECRET as STRIPE_WEBHOOK_SECRET
from tests.support.stripe_server import StandInStripe, stand_in_stripe
from tests.support.world import World, build_world, offer_stripe
from widget_server import app as app_module
from widget_server.app import create_app
from widget_server.config import Settings
from widget_server.web.templating import make_templates

SECRET = STRONG_SECRET_KEY
BACKENDS = ["sqlite", "postgres"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    """These tests run their own event loops (asyncio.run, TestClient). In a worker that
    has run an e2e test first, Playwright's sync API leaves its loop marked as running on
    this thread, and asyncio.run would refuse: step it aside for the test, then back."""
    mine = Path(__file__).parent in item.path.parents  # the hook sees every item
    playwright_loop = asyncio._get_running_loop() if mine else None
    if playwright_loop is not None:
        asyncio._set_running_loop(None)
    try:
        yield
    finally:
        if playwright_loop is not None:
            # asyncio.run also unset the thread's current loop when it finished.
            asyncio.set_event_loop(playwright_loop)
            asyncio._set_running_loop(playwright_loop)


@pytest.fixture(scope="session", autouse=True)
def one_template_environment() -> Iterator[None]:
    """Every app a test process creates shares one Jinja environment, as every request of
    a server process does: each new app compiled each page's templates again on its first
    requests, a tenth to a fifth of a second a test. make_templates() takes nothing and
    builds the same environment each time; only its cache of compiled templates is kept."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_module, "make_templates", functools.cache(make_templates))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    admin = postgres_admin_url()
    if admin is None:
        yield None
        return
    url = create_postgres_database(admin)
    yield url
    drop_postgres_database(admin, url)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:///")


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_url: str | None,
) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        return sqlite_copy(sqlite_template, tmp_path)
    if postgres_url is None:
        pytest.skip("set MINIS_TEST_POSTGRES_URL to run on PostgreSQL (CI does)")
    truncate_all(postgres_url)
    return postgres_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# The world each database of this run was last built at the default clock: built once per
# database and process, then its rows are copied back for every test (PostgreSQL: from a
# snapshot schema, SQLite: from a copy of the file), a tenth of the time of building it.
_BUILT_WORLDS: dict[str, tuple[World, Path | None]] = {}


@pytest.fixture
def world(db_url: str, clock: FakeClock, tmp_path_factory: pytest.TempPathFactory) -> World:
    if clock() != FakeClock()():
        return run_db(db_url, lambda db: build_world(db, clock()))
    sqlite_file = Path(db_url.removeprefix("sqlite:///")) if is_sqlite(db_url) else None
    key = "sqlite" if sqlite_file else db_url
    if key in _BUILT_WORLDS:
        built, copy = _BUILT_WORLDS[key]
        if sqlite_file and copy:
            shutil.copyfile(copy, sqlite_file)
        else:
            restore_postgres(db_url)
        return deepcopy(built)
    built = run_db(db_url, lambda db: build_world(db, clock()))
    copy = None
    if sqlite_file:
        copy = tmp_path_factory.mktemp("world") / "world.db"
        shutil.copyfile(sqlite_file, copy)
    else:
        snapshot_postgres(db_url)
    _BUILT_WORLDS[key] = (deepcopy(built), copy)
    return built


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url, secret_key=SECRET, demo=True, run_sweeper=False, run_mailer=False
    )


@pytest.fixture
def client(settings: Settings, clock: FakeClock, world: World) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def stripe_api(clock: FakeClock) -> Iterator[StandInStripe]:
    """The stand-in Stripe API, judging session expiry by the test's clock."""
    with stand_in_stripe(clock=lambda: clock().timestamp()) as api:
        yield api


@pytest.fixture
def stripe_settings(settings: Settings, stripe_api: StandInStripe) -> Settings:
    return settings.with_(
        stripe_secret_key=STRIPE_SECRET_KEY,
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
        stripe_api_base=stripe_api.base_url,
    )


@pytest.fixture
def stripe_client(
    stripe_settings: Settings, clock: FakeClock, world: World, db_url: str
) -> Iterator[TestClient]:
    """The app with card payments on: "card-only" offers only Stripe, "portraits" (deposit)
    offers Stripe, the demo card and offline."""
    run_db(db_url, offer_stripe)
    app = create_app(stripe_settings, clock=clock)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port, recording what it accepts."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def acme(db_url: str, clock: FakeClock, world: World, client: TestClient) -> World:
    """The dashboard, logged in as Acme's photographer; Rival has a photographer too."""
    add_user(db_url, clock, "acme", ACME_EMAIL)
    add_user(db_url, clock, "rival", RIVAL_EMAIL)
    log_in(client, ACME_EMAIL)
    return world
