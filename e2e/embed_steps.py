"""The embedded widget as a host page sees it: its iframe, the host events and messages the
page recorded (e2e/hosts/record.js), and the studio settings and lead data behind them."""

from __future__ import annotations

import json
import time
from typing import Any

from databases import Database
from playwright.sync_api import Frame, FrameLocator, Locator, Page, expect

from tests.support.databases import run_db

from .support import DemoSite, off_the_loop

WIDGET_TITLE = "Book a mini session"  # in English; the framed page sends it in its language
IFRAME = "iframe[src*='/embed/']"


def widget_iframe(page: Page, within: str = "") -> Locator:
    """The loader's iframe (the only one, unless ``within`` narrows it to a container)."""
    return page.locator(f"{within} {IFRAME}".strip())


def widget(page: Page, within: str = "") -> FrameLocator:
    return page.frame_locator(f"{within} {IFRAME}".strip())


def widget_frame(page: Page, within: str = "") -> Frame:
    """The iframe's document, for evaluating script in it."""
    handle = widget_iframe(page, within).element_handle()
    frame = handle.content_frame()
    assert frame is not None, "the widget's iframe has no document"
    return frame


def host_events(page: Page) -> list[dict[str, Any]]:
    """Host events seen on the page so far (window and container), oldest first."""
    return list(page.evaluate("JSON.parse(sessionStorage.getItem('minis-events') || '[]')"))


def window_events(page: Page, type_: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in host_events(page) if e["type"] == type_ and e["on"] == "window"]


def received_messages(page: Page) -> list[dict[str, Any]]:
    """Every message event the host page received: origin, type, from the fake frame?"""
    return list(page.evaluate("JSON.parse(sessionStorage.getItem('minis-messages') || '[]')"))


def wait_for_event(page: Page, type_: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait until the window saw ``count`` host events of ``type_``; their payloads."""
    page.wait_for_function(
        """([type, count]) => JSON.parse(sessionStorage.getItem('minis-events') || '[]')
            .filter(e => e.type === type && e.on === 'window').length >= count""",
        arg=[type_, count],
    )
    return window_events(page, type_)


def heights(page: Page, within: str = "") -> tuple[float, int]:
    """(the iframe's height on the host page, its document's scrollHeight)."""
    iframe = widget_iframe(page, within)
    outer = float(iframe.evaluate("f => f.getBoundingClientRect().height"))
    inner = int(widget_frame(page, within).evaluate("document.documentElement.scrollHeight"))
    return outer, inner


def assert_fits(page: Page, within: str = "", timeout: float = 5.0) -> float:
    """Wait until the iframe is as tall as its content (no inner scrollbar); its height."""
    deadline = time.monotonic() + timeout
    while True:
        outer, inner = heights(page, within)
        if outer >= inner > 0:
            return outer
        if time.monotonic() > deadline:
            raise AssertionError(f"the iframe is {outer} px tall for {inner} px of content")
        time.sleep(0.05)


def expect_slots(frame: FrameLocator | Page) -> None:
    """A mini session page showing bookable times."""
    expect(frame.locator("#times a.slot").first).to_be_visible()


def set_allowed_origins(server: DemoSite, origins: str, studio: str = "demo") -> None:
    """Which sites may embed the studio (space-separated origins; empty: any)."""

    async def write(db: Database) -> None:
        await db.execute(
            "UPDATE studios SET allowed_origins = :origins WHERE slug = :slug",
            {"origins": origins, "slug": studio},
        )

    off_the_loop(lambda: run_db(server.database_url, write))
    # Written from outside the server, like another worker's change: its pages show it once
    # what they read of the studio is a second old (MINIS_AVAILABILITY_CACHE_SECONDS).
    time.sleep(1.0)


# The leads the test's clients made: not the demo's own (sold-out sunflower-minis).
DEMO_LEADS_LEFT_OUT = """
SELECT utm FROM leads l WHERE NOT EXISTS (
    SELECT 1 FROM bookings b JOIN slots s ON s.id = b.slot_id
    JOIN mini_sessions m ON m.id = s.mini_session_id
    WHERE b.lead_id = l.id AND m.slug = 'sunflower-minis'
) ORDER BY l.id
"""


def lead_utms(server: DemoSite) -> list[dict[str, str]]:
    """The utm_* parameters stored on each lead, oldest first."""

    async def read(db: Database) -> list[dict[str, str]]:
        rows = await db.fetch_all(DEMO_LEADS_LEFT_OUT)
        return [json.loads(row["utm"]) for row in rows]

    return off_the_loop(lambda: run_db(server.database_url, read))


def choose_first_time(frame: FrameLocator) -> None:
    """On a mini session page in the widget: the first bookable time, then the details form."""
    frame.locator("#times a.slot").first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Your details")
