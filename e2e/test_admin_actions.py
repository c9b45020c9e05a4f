"""The photographer acts on a booking in Chromium, on a phone: every dashboard page passes
axe (no serious or critical violation) and fits 375 px without scrolling sideways; a
cancellation made on the booking page shows on the client's confirmation page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .steps import (
    ADA,
    FALL,
    SUCCESS_CARD,
    choose_method,
    confirm_quote,
    heading,
    pay_with_card,
    reach_quote,
)
from .support import ContextFactory, PageProblems
from .test_admin import fits_the_width, log_in, open_page
from .test_embed_a11y import severe_violations

PHONE = {"width": 375, "height": 740}


def checked(page: Page, name: str, found: dict[str, list[str]]) -> None:
    """Record axe's severe violations and whether the page scrolls sideways."""
    found[name] = severe_violations(page)
    if not fits_the_width(page):
        found[name].append("wider than the phone's screen")


def book_ada(new_context: ContextFactory) -> Page:
    client = new_context(viewport={"width": 1280, "height": 720}).new_page()
    reach_quote(client, FALL, ADA)
    confirm_quote(client)
    choose_method(client, "Card (demo)")
    pay_with_card(client, SUCCESS_CARD)
    expect(heading(client)).to_have_text("You're booked, Ada!")
    return client


def test_every_dashboard_page_passes_axe_on_a_phone(new_context: ContextFactory) -> None:
    book_ada(new_context)
    photographer = new_context(viewport=PHONE).new_page()
    found: dict[str, list[str]] = {}
    photographer.goto("/admin")
    expect(heading(photographer)).to_have_text("Log in")
    checked(photographer, "login", found)
    log_in(photographer)
    checked(photographer, "bookings", found)
    photographer.get_by_role("link", name=ADA.name).click()
    expect(heading(photographer)).to_have_text(ADA.name)
    photographer.locator("details.refund-form summary").click()
    expect(photographer.get_by_label("Amount (USD)")).to_be_visible()
    checked(photographer, "booking", found)
    photographer.get_by_role("link", name="Move to another time").click()
    expect(heading(photographer)).to_have_text(f"Move {ADA.name}")
    checked(photographer, "move", found)
    photographer.go_back()
    photographer.locator(".summary a[href*='/days/']").click()
    expect(heading(photographer)).to_have_text(FALL)
    checked(photographer, "day sheet", found)
    photographer.goto("/admin/feed")
    expect(heading(photographer)).to_have_text("Calendar feed")
    checked(photographer, "feed", found)
    photographer.goto("/admin/share")
    expect(heading(photographer)).to_have_text("Share & embed")
    checked(photographer, "share", found)
    photographer.goto("/admin/bookings?status=closed")
    checked(photographer, "closed leads", found)
    open_page(photographer, "Emails")
    expect(heading(photographer)).to_have_text("Emails")
    checked(photographer, "emails", found)
    photographer.get_by_role("link", name="Confirmation to the client").click()
    expect(photographer.locator("pre.email-text")).to_contain_text(ADA.name.split()[0])
    checked(photographer, "email", found)
    assert found == {name: [] for name in found}


def test_the_photographer_cancels_and_the_client_sees_it(
    new_context: ContextFactory, problems: PageProblems
) -> None:
    problems.allow_error_page(400)  # the form sent back once, unconfirmed
    client = book_ada(new_context)
    confirmation = client.url
    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    photographer.get_by_role("link", name=ADA.name).click()
    expect(heading(photographer)).to_have_text(ADA.name)
    photographer.get_by_label("Message to the client").fill("The park is closed that day, sorry!")
    photographer.get_by_label("Full refund of what was paid").check()
    photographer.get_by_role("button", name="Cancel booking").click()
    # Forgot the confirmation box: the form comes back with the choices kept.
    expect(photographer.get_by_text("Please tick the box to confirm").first).to_be_visible()
    expect(photographer.get_by_label("Full refund of what was paid")).to_be_checked()
    expect(photographer.get_by_label("Message to the client")).to_have_value(
        "The park is closed that day, sorry!"
    )
    assert severe_violations(photographer) == []  # the form with its errors, too
    photographer.get_by_label("Yes, cancel this booking").check()
    photographer.get_by_role("button", name="Cancel booking").click()
    expect(photographer.get_by_text("Cancelled. The client has been emailed")).to_be_visible()
    expect(photographer.get_by_text("This booking is cancelled.")).to_be_visible()
    expect(photographer.get_by_text("Refund recorded")).to_be_visible()
    assert fits_the_width(photographer)

    client.goto(confirmation)
    expect(heading(client)).to_have_text("This booking was cancelled")
