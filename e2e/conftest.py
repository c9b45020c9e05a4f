"""Fixtures: one headless Chromium per session; per test a fresh demo database behind a live
uvicorn, browser contexts pointed at it, and a check that no page logged a console error,
failed a request or got an unexpected HTTP error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support.live_server import live_server
from tests.support.server_forks import ServerForks

from .host_site import HostSite, serve
from .support import (
    CHROMIUM_ARGS,
    ContextFactory,
    DemoSite,
    PageProblems,
    chromium_executable,
    prepare_demo_database,
    seeded_copy,
)

TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Chromium from $CHROMIUM_PATH, else /usr/bin/chromium, else Playwright's own."""
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo studio migrated and seeded once per run; each test serves its own copy."""
    path = tmp_path_factory.mktemp("seeded") / "minis.db"
    prepare_demo_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def server_forks() -> Iterator[ServerForks]:
    """Each test's uvicorn is forked from one process that imported the app once (a new
    program costs seconds of imports a test): tests/support/server_forks.py."""
    with ServerForks() as forks:
        yield forks


@pytest.fixture
def server(tmp_path: Path, seeded_demo: Path, server_forks: ServerForks) -> Iterator[DemoSite]:
    """The demo app (``demo_app_from_env``) on a fresh SQLite file seeded with the demo studio."""
    url = seeded_copy(seeded_demo, tmp_path)
    log = tmp_path / "uvicorn.log"
    with live_server(url, log_path=log, forks=server_forks) as base_url:
        yield DemoSite(base_url, url)
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, f"the server logged an error:\n{output}"


@pytest.fixture
def problems() -> Iterator[PageProblems]:
    """Fails the test (at teardown) if a watched page had a problem."""
    watcher = PageProblems()
    yield watcher
    watcher.assert_none()


@pytest.fixture
def new_context(
    browser: Browser, server: DemoSite, problems: PageProblems
) -> Iterator[ContextFactory]:
    """Opens isolated browser sessions (own cookies) on the server, each one watched."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=server.base_url, accept_downloads=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        problems.watch(context)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A page in its own browser context, 1280 by 720."""
    return new_context(viewport={"width": 1280, "height": 720}).new_page()


@pytest.fixture
def host(server: DemoSite) -> Iterator[HostSite]:
    """The photographer's website: e2e/hosts/*.html on http://localhost:PORT, another site."""
    with serve(HostSite(widget=server.base_url)) as site:
        yield site
