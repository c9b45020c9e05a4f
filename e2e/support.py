"""Support for the e2e tests: which Chromium to run, the live demo site and a look into its
database, and the watcher that turns console errors and failed requests into test failures."""

from __future__ import annotations

import concurrent.futures
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from databases import Database
from playwright.sync_api import BrowserContext, ConsoleMessage, Request, Response, WebError

from tests.support.databases import run_db
from widget_server.booking.clock import system_clock
from widget_server.db.migrate import migrate
from widget_server.demo import seed_demo
from widget_server.demo_waiting import seed_drop_demo, seed_waitlist_demo

ROOT = Path(__file__).resolve().parents[1]
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

T = TypeVar("T")
# Opens a watched browser context on the live site; keyword arguments go to new_context().
ContextFactory = Callable[..., BrowserContext]


def chromium_executable() -> str | None:
    """$CHROMIUM_PATH, else Debian's chromium, else None: Playwright's own browser."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    return str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None


def screenshot_dir() -> Path:
    """$E2E_SCREENSHOTS, else artifacts/screenshots in the repository (git-ignored)."""
    configured = os.environ.get("E2E_SCREENSHOTS")
    return Path(configured) if configured else ROOT / "artifacts" / "screenshots"


def off_the_loop(work: Callable[[], T]) -> T:
    """Run ``work`` in a worker thread and return its result.

    Playwright's sync API keeps an asyncio loop on the main thread, so code that
    calls ``asyncio.run`` (the migrations, ``run_db``) has to run elsewhere.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def seeded_copy(seeded: Path, folder: Path) -> str:
    """A fresh demo database for one test: a copy of the file ``prepare_demo_database``
    made once per run (the migrations and the seeding cost a second a test otherwise)."""
    target = folder / "minis.db"
    # SQLite's backup API: a consistent copy whatever its journal mode left beside the file.
    with closing(sqlite3.connect(seeded)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


def prepare_demo_database(url: str) -> None:
    """Migrate a fresh database and seed the demo studio, as ``minis demo`` does."""

    def work() -> None:
        migrate(url)
        run_db(url, lambda db: seed_demo(db, system_clock()))
        # As `minis demo` does: the sold-out mini session and the scheduled drop.
        run_db(url, lambda db: seed_waitlist_demo(db, system_clock()))
        run_db(url, lambda db: seed_drop_demo(db, system_clock()))

    off_the_loop(work)


@dataclass(frozen=True)
class PaymentRow:
    method: str
    status: str
    amount_minor: int


@dataclass(frozen=True)
class BookingRow:
    reference: str
    status: str
    slot_id: int
    name: str
    email: str
    phone: str
    payments: tuple[PaymentRow, ...]


# The demo seeds bookings of its own (sunflower-minis is sold out, with a waitlist): the
# tests read only the bookings their clients made.
BOOKINGS_SQL = """
SELECT b.id, b.reference, b.status, b.slot_id, l.name, l.email, l.phone
FROM bookings b JOIN leads l ON l.id = b.lead_id
JOIN slots s ON s.id = b.slot_id JOIN mini_sessions m ON m.id = s.mini_session_id
WHERE m.slug <> 'sunflower-minis'
ORDER BY b.id
"""
PAYMENTS_SQL = "SELECT booking_id, method, status, amount_minor FROM payments ORDER BY id"


@dataclass(frozen=True)
class DemoSite:
    """The app served by a live uvicorn on its own demo database."""

    base_url: str
    database_url: str

    def bookings(self) -> list[BookingRow]:
        """Every booking the test made (not the demo's own), oldest first, with its client and
        payments."""

        async def read(db: Database) -> list[BookingRow]:
            rows = await db.fetch_all(BOOKINGS_SQL)
            payments = await db.fetch_all(PAYMENTS_SQL)
            return [
                BookingRow(
                    reference=row["reference"],
                    status=row["status"],
                    slot_id=row["slot_id"],
                    name=row["name"],
                    email=row["email"],
                    phone=row["phone"],
                    payments=tuple(
                        PaymentRow(p["method"], p["status"], p["amount_minor"])
                        for p in payments
                        if p["booking_id"] == row["id"]
                    ),
                )
                for row in rows
            ]

        return off_the_loop(lambda: run_db(self.database_url, read))


LOAD_FAILED = "Failed to load resource: the server responded with a status of {status}"


@dataclass
class PageProblems:
    """Collects what went wrong in watched browser contexts; judged after the test.

    A problem is a console error or warning (CSP violations are console errors),
    an uncaught page error, a request that failed, or an HTTP error status.
    A test that expects an error page (409, 422) says so with ``allow_error_page``:
    documents with that status, and the console line Chromium logs for them, pass.
    """

    allowed_statuses: set[int] = field(default_factory=set)
    allowed_console: list[str] = field(default_factory=list)
    console: list[tuple[str, str, str]] = field(default_factory=list)
    responses: list[tuple[int, str, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", self._on_web_error)
        context.on("requestfailed", self._on_request_failed)
        context.on("response", self._on_response)

    def allow_error_page(self, status: int) -> None:
        self.allowed_statuses.add(status)

    def allow_console(self, fragment: str) -> None:
        """Console messages containing ``fragment`` are expected (a refusal under test)."""
        self.allowed_console.append(fragment)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.console.append((message.type, message.text, message.location.get("url", "")))

    def _on_web_error(self, error: WebError) -> None:
        self.other.append(f"uncaught page error: {error.error}")

    def _on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED is the browser cancelling a request itself: the page navigated
        # away while the (lazily fetched) icon loaded, or a download took over.
        # Refusals (a server gone, a route aborted) are other errors.
        if request.failure == "net::ERR_ABORTED":
            return
        self.other.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.responses.append((response.status, response.url, response.request.resource_type))

    def found(self) -> list[str]:
        expected_pages = {
            (url, status)
            for status, url, kind in self.responses
            if kind == "document" and status in self.allowed_statuses
        }
        found = [
            f"HTTP {status} for {kind} {url}"
            for status, url, kind in self.responses
            if (url, status) not in expected_pages
        ]
        for kind, text, url in self.console:
            if any(
                url == page_url and text.startswith(LOAD_FAILED.format(status=status))
                for page_url, status in expected_pages
            ) or any(fragment in text for fragment in self.allowed_console):
                continue
            found.append(f"console {kind}: {text} ({url or 'no url'})")
        return found + self.other

    def assert_none(self) -> None:
        found = self.found()
        assert not found, "problems in the browser:\n" + "\n".join(found)
