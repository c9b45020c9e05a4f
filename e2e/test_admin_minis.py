"""Mini sessions and session days in the dashboard, on a phone, from scratch: add a
location, create a mini session, add a day (preview, then save); a client books it in
another browser, the booking is on the day sheet, and a change that would drop it asks
first. Every page is axe-clean and fits 375 px."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

from .steps import ADA, SUCCESS_CARD, choose_method, confirm_quote, heading, pay_with_card
from .steps import reach_quote as reach_quote_of
from .support import ContextFactory, PageProblems
from .test_admin import fits_the_width, log_in, open_page
from .test_embed_a11y import severe_violations

TITLE = "Beach Minis"
PLACE = "Boardwalk"


def check_page(page: Page) -> None:
    """No serious accessibility violation, and nothing wider than the phone."""
    assert severe_violations(page) == [], page.url
    assert fits_the_width(page), page.url


def add_location(photographer: Page) -> None:
    open_page(photographer, "Locations")
    photographer.get_by_role("link", name="Add a location").click()
    photographer.get_by_label("Name", exact=True).fill(PLACE)
    photographer.get_by_label("Address").fill("Pier 7, Santa Monica")
    photographer.get_by_label("Time zone").fill("Pacific Time — Los Angeles")
    photographer.get_by_role("button", name="Add the location").click()
    expect(photographer.get_by_role("status")).to_have_text("Location added.")


def create_mini(photographer: Page) -> None:
    open_page(photographer, "Mini sessions")
    expect(heading(photographer)).to_have_text("Mini sessions")
    check_page(photographer)
    photographer.get_by_role("link", name="New mini session").click()
    expect(heading(photographer)).to_have_text("New mini session")
    photographer.get_by_label("Title").fill(TITLE)
    photographer.get_by_label("Price (USD)").fill("abc")
    photographer.get_by_role("button", name="Create mini session").click()
    # A mistake comes back with a message and everything typed still there.
    expect(photographer.locator("#price-error")).to_contain_text("Enter an amount")
    # exact: the Translations part has "Title (Español)" and the like
    expect(photographer.get_by_label("Title", exact=True)).to_have_value(TITLE)
    check_page(photographer)
    photographer.get_by_label("Price (USD)").fill("60")
    photographer.get_by_label("Deposit (USD, optional)").fill("20.00")
    photographer.get_by_role("radio", name="Public: listed on your booking site").check()
    photographer.get_by_role("checkbox", name="Card (demo)").check()
    photographer.get_by_role("button", name="Create mini session").click()
    expect(heading(photographer)).to_have_text(TITLE)
    expect(photographer.get_by_text("Mini session created")).to_be_visible()


def add_day(photographer: Page, day: date) -> None:
    photographer.get_by_label("Location").select_option(
        label=f"{PLACE} (Pacific Time — Los Angeles)"
    )
    photographer.get_by_label("Date").fill(day.isoformat())
    photographer.get_by_label("Starts").fill("10:00")
    photographer.get_by_label("Ends").fill("11:00")
    photographer.get_by_label("Slot length (minutes)").fill("30")
    photographer.get_by_label("Gap between slots (minutes)").fill("0")
    photographer.get_by_label("Clients per slot").fill("1")
    photographer.get_by_role("button", name="Preview slots").click()
    preview = photographer.locator(".preview")
    expect(preview.get_by_role("heading")).to_have_text("Preview · 2 slots")
    expect(preview.locator("li")).to_have_count(2)
    expect(preview.locator("li").first).to_contain_text("10:00 AM P")
    check_page(photographer)
    photographer.get_by_role("button", name="Save day").click()
    expect(photographer.get_by_text("Day added.")).to_be_visible()


def test_create_a_mini_add_a_day_and_see_a_clients_booking(
    new_context: ContextFactory, problems: PageProblems
) -> None:
    problems.allow_error_page(400)  # the deliberate mistake in the form
    problems.allow_error_page(409)  # the change-day confirmation (its URL has a #fragment):
    problems.allow_console("status of 409 (Conflict)")
    photographer = new_context(viewport={"width": 375, "height": 740}).new_page()
    log_in(photographer)
    add_location(photographer)
    create_mini(photographer)
    day = date.today() + timedelta(days=10)
    add_day(photographer, day)
    check_page(photographer)

    client = new_context(viewport={"width": 1280, "height": 720}).new_page()
    chosen = reach_quote_of(client, TITLE, ADA)
    assert chosen.time == "10:00 AM"
    confirm_quote(client)
    choose_method(client, "Card (demo)")
    pay_with_card(client, SUCCESS_CARD)
    expect(heading(client)).to_have_text("You're booked, Ada!")

    photographer.reload()
    photographer.get_by_role("link", name="Day sheet").click()
    expect(heading(photographer)).to_have_text(TITLE)
    booked = photographer.locator("table.sheet-table tbody tr").filter(has_text=ADA.name)
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text("10:00 AM")
    expect(booked).to_contain_text("$20.00 paid")

    # Moving the day to start at 10:30 would drop Ada's 10:00: the dashboard asks first.
    photographer.go_back()
    photographer.get_by_role("link", name="Slots and changes").click()
    check_page(photographer)
    photographer.get_by_label("Starts", exact=True).last.fill("10:30")
    photographer.get_by_role("button", name="Save changes").click()
    expect(heading(photographer)).to_have_text("This change affects bookings")
    expect(photographer.get_by_role("link", name=ADA.name)).to_be_visible()
    check_page(photographer)
    photographer.get_by_role("button", name="Keep these bookings at their current times").click()
    expect(photographer.get_by_text("Day changed.")).to_be_visible()
    ada_slot = photographer.locator("table.admin-table tbody tr").filter(has_text="10:00 AM")
    expect(ada_slot).to_contain_text("Extra")
    expect(ada_slot).to_contain_text("1 of 1")

    # The settings page, for the record: axe-clean and phone-sized too.
    photographer.goto("/admin/minis")
    photographer.get_by_role("link", name=f"Settings of {TITLE}").click()
    # exact: the Translations part has "Title (Español)" and the like
    expect(photographer.get_by_label("Title", exact=True)).to_have_value(TITLE)
    check_page(photographer)
