"""The photographer's dashboard in the browser: log in on a phone, a client books in another
browser, the booking is on the day sheet."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from widget_server.demo import DEMO_EMAIL, DEMO_PASSWORD

from .steps import (
    ADA,
    FALL,
    SUCCESS_CARD,
    choose_method,
    confirm_quote,
    heading,
    pay_with_card,
    reach_quote,
    text_of,
)
from .support import ContextFactory


def log_in(page: Page) -> None:
    page.goto("/admin")
    expect(heading(page)).to_have_text("Log in")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(heading(page)).to_have_text("Bookings")


def open_page(page: Page, name: str) -> None:
    """Follow the dashboard's menu to a page; on a phone the menu opens first."""
    # The menu's script sets `open` for the screen's width when it runs: let it run before
    # the menu is opened, or it may shut the menu again between the click and the link.
    page.wait_for_load_state("load")
    menu = page.locator("details.admin-menu")
    if not menu.evaluate("el => el.open"):
        menu.locator("summary").click()
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name=name).click()


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_clients_booking_shows_on_the_day_sheet(new_context: ContextFactory) -> None:
    photographer = new_context(viewport={"width": 375, "height": 740}).new_page()
    log_in(photographer)
    # The demo's own bookings are listed (sunflower-minis is sold out); Ada's is not yet.
    clients = photographer.locator("table.admin-table tbody tr")
    expect(clients.filter(has_text=ADA.name)).to_have_count(0)

    client = new_context(viewport={"width": 1280, "height": 720}).new_page()
    chosen = reach_quote(client, FALL, ADA)
    confirm_quote(client)
    choose_method(client, "Card (demo)")
    pay_with_card(client, SUCCESS_CARD)
    expect(heading(client)).to_have_text("You're booked, Ada!")
    assert not client.context.cookies(), "the client's flow must stay cookie-free"

    photographer.reload()
    row = photographer.locator("table.admin-table tbody tr").filter(has_text=ADA.name)
    expect(row).to_have_count(1)
    assert fits_the_width(photographer)
    row.get_by_role("link", name=f"{chosen.time}", exact=False).click()
    expect(heading(photographer)).to_have_text(FALL)
    booked = photographer.locator("table.sheet-table tbody tr").filter(has_text=ADA.name)
    expect(booked).to_have_count(1)
    line = text_of(booked)
    assert chosen.time in line and "Booked" in line and "$75.00 paid" in line, line
    assert fits_the_width(photographer)

    booked.get_by_role("link", name=ADA.name).click()
    expect(heading(photographer)).to_have_text(ADA.name)
    expect(photographer.get_by_text("Payment received (demo): $75.00")).to_be_visible()
    [cookie] = photographer.context.cookies()
    assert cookie["path"] == "/admin" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
