"""Changing a booking in the browser: reschedule to another time, cancel with a message.
Screenshots of each new page at phone and desktop widths go with the layout ones."""

from __future__ import annotations

import re

from databases import Database
from playwright.sync_api import Page, expect

from tests.support.databases import run_db
from widget_server.db.tables import mini_sessions

from .steps import (
    ADA,
    FALL,
    SUCCESS_CARD,
    choose_method,
    confirm_quote,
    heading,
    pay_with_card,
    reach_quote,
    summary,
)
from .support import DemoSite, PageProblems, off_the_loop
from .test_layout import capture


def _set_cutoff(server: DemoSite, hours: int) -> None:
    async def work(db: Database) -> None:
        await db.execute(mini_sessions.update().values(change_cutoff_hours=hours))

    off_the_loop(lambda: run_db(server.database_url, work))


def _changes_open_until_the_start(server: DemoSite) -> None:
    """The demo's first times may be inside its 24-hour cutoff, depending on today's weekday."""
    _set_cutoff(server, 0)


def _book_fall_minis(page: Page) -> None:
    reach_quote(page, FALL, ADA)
    confirm_quote(page)
    choose_method(page, "Card (demo)")
    pay_with_card(page, SUCCESS_CARD)
    expect(heading(page)).to_have_text("You're booked, Ada!")


def test_reschedule_to_another_time(page: Page, server: DemoSite) -> None:
    _changes_open_until_the_start(server)
    _book_fall_minis(page)
    [before] = server.bookings()
    old_time = summary(page)["Time"]
    expect(page.locator(".notice-text strong").first).to_have_text("What to wear:")
    capture(page, "8-confirmation-with-changes")

    page.get_by_role("link", name="Reschedule").click()
    expect(heading(page)).to_have_text("Choose a new time")
    expect(page.locator(".slot.is-current")).to_contain_text("Your time")
    capture(page, "9-reschedule-pick")
    # Another day and location: the second day chip (Colorado or the next Saturday).
    here = page.locator("a.day[aria-current] .day-place").inner_text()
    there = page.locator("a.day").nth(1).locator(".day-place").inner_text()
    page.locator("a.day").nth(1).click()
    new_slot = page.locator("#times a.slot").nth(1)
    new_time = " ".join(new_slot.locator(".slot-time").inner_text().split())
    new_slot.click()

    expect(heading(page)).to_have_text("Move your booking?")
    # Another place (Colorado: another zone too) is said before the client confirms.
    warning = page.locator(".move-warning")
    if there != here:
        expect(warning).to_contain_text(f"Another place: the new time is at {there}")
        expect(warning).to_contain_text("Another time zone:")
    else:
        expect(warning).to_have_count(0)
    capture(page, "10-reschedule-confirm")
    page.get_by_role("button", name=re.compile(r"^Move to ")).click()

    expect(page.get_by_role("status")).to_contain_text("Your booking has moved")
    expect(heading(page)).to_have_text("You're booked, Ada!")
    assert summary(page)["Time"] != old_time and new_time in summary(page)["Time"]
    [after] = server.bookings()
    assert after.reference == before.reference and after.slot_id != before.slot_id
    assert after.payments == before.payments  # the deposit carried over


def test_cancel_with_a_message(page: Page, server: DemoSite, problems: PageProblems) -> None:
    problems.allow_error_page(422)
    _changes_open_until_the_start(server)
    _book_fall_minis(page)
    page.get_by_role("link", name="Cancel booking").click()
    expect(heading(page)).to_have_text("Cancel your booking")
    expect(page.locator(".callout")).to_contain_text("keeps the $75.00 deposit")
    capture(page, "11-cancel")

    message = "So sorry, we're ill. <b>Next year!</b>"
    page.get_by_label(re.compile("^Message to")).fill(message)
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.locator(".error-summary")).to_contain_text("tick the box")
    expect(page.get_by_label(re.compile("^Message to"))).to_have_value(message)
    capture(page, "12-cancel-error")
    assert [b.status for b in server.bookings()] == ["booked"]

    page.get_by_role("checkbox", name=re.compile("Yes, cancel my booking")).check()
    page.get_by_role("button", name="Cancel booking").click()
    expect(heading(page)).to_have_text("This booking was cancelled")
    expect(page.get_by_role("status")).to_contain_text("Your booking is cancelled")
    expect(page.get_by_role("link", name="Reschedule")).to_have_count(0)
    capture(page, "13-cancelled")
    [booking] = server.bookings()
    assert booking.status == "cancelled"


def test_past_the_cutoff_the_page_says_why(
    page: Page, server: DemoSite, problems: PageProblems
) -> None:
    problems.allow_error_page(409)
    _changes_open_until_the_start(server)
    _book_fall_minis(page)
    _set_cutoff(server, 24 * 60)  # sixty days: the session is now inside it
    page.reload()
    expect(page.get_by_role("link", name="Reschedule")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    expect(page.locator(".change-note")).to_contain_text("Online changes close 1440 hours before")
    capture(page, "14-changes-closed")
    page.goto(page.url.split("?")[0] + "/cancel")
    expect(heading(page)).to_have_text("You can't cancel online")
    page.get_by_role("link", name="Back to your booking").click()
    expect(heading(page)).to_have_text("You're booked, Ada!")
