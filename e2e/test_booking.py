"""Booking in the browser: demo card (accepted and declined), paying the studio directly,
a one-method session straight to the card page, and a time someone else took first."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from databases import Database
from playwright.sync_api import Page, expect

from tests.support.databases import run_db
from widget_server.db.tables import bookings

from .steps import (
    ADA,
    DECLINED_CARD,
    FALL,
    FALL_URL,
    GRACE,
    OFFLINE_INSTRUCTIONS,
    SANTA,
    SUCCESS_CARD,
    choose_first_slot,
    choose_method,
    clicks,
    confirm_quote,
    continue_to_quote,
    count_clicks,
    fill_details,
    first_available_slot,
    heading,
    open_mini_from_studio,
    pay_with_card,
    quote_rows,
    reach_quote,
    slot_on_mini_page,
    studio_card,
    summary,
    text_of,
)
from .support import BookingRow, ContextFactory, DemoSite, PageProblems, PaymentRow, off_the_loop

BOOKING_URL = re.compile(r"/b/[^/]+$")


def test_book_fall_minis_with_the_demo_card(page: Page, server: DemoSite) -> None:
    page.goto("/demo")
    expect(heading(page)).to_have_text("Mini sessions with Golden Hour Photography")
    expect(studio_card(page, FALL).locator(".price")).to_have_text("$225.00 · $75.00 deposit")
    studio_card(page, FALL).get_by_role("link").click()

    expect(heading(page)).to_have_text(FALL)
    expect(page).to_have_url(re.compile(f"{FALL_URL}$"))
    count_clicks(page)
    page.reload()
    chosen = choose_first_slot(page)
    expect(page.locator("aside")).to_contain_text(chosen.time)
    fill_details(page, ADA)
    continue_to_quote(page)

    # The mini page to here: two clicks (a time, then the details' button) plus typing.
    expect(heading(page)).to_have_text("Review and book")
    expect(page.locator(".hold")).to_contain_text("This time is held for you for 14:5")
    expect(page.locator(".hold")).to_contain_text("your time")
    assert quote_rows(page) == {
        "Total": "$225.00",
        "Deposit due now": "$75.00",
        "Balance due later": "$150.00",
    }
    held = server.bookings()
    assert [(b.status, b.slot_id) for b in held] == [("held", chosen.slot_id)]

    # The demo card is the first way to pay, chosen already: type the card, one click to pay.
    expect(page.get_by_role("radio", name=re.compile("Card [(]demo[)]"))).to_be_checked()
    expect(page.locator(".callout.demo")).to_contain_text("No real card is charged")
    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_role("button", name="Pay $75.00 deposit").click()
    expect(heading(page)).to_have_text("You're booked, Ada!")
    # Mini session page to paid: a time, the details' button, the pay button.
    assert clicks(page) == 3

    expect(heading(page)).to_have_text("You're booked, Ada!")
    expect(page).to_have_url(BOOKING_URL)
    [booking] = server.bookings()
    assert booking == BookingRow(
        reference=held[0].reference,
        status="booked",
        slot_id=chosen.slot_id,
        name=ADA.name,
        email=ADA.email,
        phone=ADA.stored_phone,
        payments=(PaymentRow("demo", "succeeded", 7500),),
    )
    shown = summary(page)
    assert shown["Paid"] == "$75.00"
    assert shown["Balance due"] == "$150.00"
    assert shown["Reference"] == booking.reference
    assert shown["Booked for"] == f"{ADA.name} {ADA.email}"
    assert shown["Session"] == FALL
    assert shown["Time"].startswith(chosen.time)

    ics = page.get_by_role("link", name="Apple / Outlook (.ics)")
    with page.expect_download() as download_info:
        ics.click()
    download = download_info.value
    assert download.suggested_filename == f"{booking.reference}.ics"
    calendar = download.path().read_text()
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in calendar
    assert "SUMMARY:Fall Minis with Golden Hour Photography" in calendar
    assert booking.reference in calendar
    fetched = page.request.get(ics.get_attribute("href") or "")
    assert fetched.ok
    assert fetched.headers["content-type"].startswith("text/calendar")

    slot = slot_on_mini_page(page, chosen)
    expect(slot.locator(".slot-spots")).to_have_text("Booked")
    expect(slot.locator("a")).to_have_count(0)
    expect(page.locator("a.day[aria-current] .day-spots")).to_have_text("6 times open")


def test_declined_card_books_nothing_then_the_success_card_books(
    page: Page, server: DemoSite, problems: PageProblems
) -> None:
    problems.allow_error_page(422)
    chosen = reach_quote(page, FALL)
    confirm_quote(page)
    choose_method(page, "Card (demo)")

    pay_with_card(page, DECLINED_CARD)
    expect(page.get_by_role("alert")).to_have_text(
        "Your card was declined. No money was taken. Try the success card."
    )
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    expect(heading(page)).to_have_text("Review and book")
    [booking] = server.bookings()
    assert (booking.status, booking.payments) == ("held", ())

    pay_with_card(page, SUCCESS_CARD)
    expect(heading(page)).to_have_text("You're booked, Ada!")
    assert summary(page)["Paid"] == "$75.00"
    [booking] = server.bookings()
    assert booking.status == "booked"
    assert booking.slot_id == chosen.slot_id
    assert booking.payments == (PaymentRow("demo", "succeeded", 7500),)


def test_book_by_paying_the_studio_directly(page: Page, server: DemoSite) -> None:
    chosen = reach_quote(page, FALL)
    confirm_quote(page)
    choose_method(page, "Pay the studio directly")

    expect(page.locator(".method-part .instructions")).to_contain_text(OFFLINE_INSTRUCTIONS)
    expect(page.locator("main")).to_contain_text(
        "$225.00 stays due until Golden Hour Photography marks it paid"
    )
    expect(page.get_by_label("Card number")).to_be_hidden()
    assert server.bookings()[0].status == "held"
    page.get_by_role("button", name="Reserve and pay the studio").click()

    expect(heading(page)).to_have_text("You're booked, Ada!")
    shown = summary(page)
    assert shown["Paid"] == "$0.00"
    assert shown["Balance due"] == "$225.00 (pay the studio directly)"
    [booking] = server.bookings()
    assert (booking.status, booking.slot_id) == ("booked", chosen.slot_id)
    assert booking.payments == (PaymentRow("offline", "pending", 22500),)
    # The studio's instructions are on the confirmation.
    expect(page.locator(".instructions")).to_contain_text(OFFLINE_INSTRUCTIONS)
    expect(slot_on_mini_page(page, chosen).locator(".slot-spots")).to_have_text("Booked")


def test_one_payment_method_shows_no_choice(page: Page, server: DemoSite) -> None:
    chosen = reach_quote(page, SANTA)
    assert quote_rows(page) == {"Total": "$95.00", "Due now": "$95.00"}
    expect(page.get_by_role("radio")).to_have_count(0)

    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_role("button", name="Pay $95.00").click()
    expect(heading(page)).to_have_text("You're booked, Ada!")
    shown = summary(page)
    assert (shown["Paid"], shown["Balance due"]) == ("$95.00", "$0.00")
    [booking] = server.bookings()
    assert booking.payments == (PaymentRow("demo", "succeeded", 9500),)
    # Three families fit in a Santa slot: it stays open with one spot fewer.
    slot = slot_on_mini_page(page, chosen)
    expect(slot.locator("a.slot .slot-spots")).to_have_text("2 of 3 left")


def test_a_time_someone_else_just_took(
    new_context: ContextFactory, server: DemoSite, problems: PageProblems
) -> None:
    problems.allow_error_page(409)
    first = new_context().new_page()
    second = new_context().new_page()
    open_mini_from_studio(first, FALL)
    _, chosen = first_available_slot(first)
    for page in (first, second):
        page.goto(chosen.book_url)
        expect(heading(page)).to_have_text("Your details")
    fill_details(first, ADA)
    fill_details(second, GRACE)

    continue_to_quote(first)
    expect(heading(first)).to_have_text("Review and book")
    continue_to_quote(second)
    expect(heading(second)).to_have_text("This time was just taken")
    expect(second).to_have_title(re.compile(r"^This time was just taken"))
    expect(second.get_by_role("alert")).to_contain_text("Someone else just booked this time.")

    [booking] = server.bookings()
    assert (booking.name, booking.status, booking.slot_id) == (ADA.name, "held", chosen.slot_id)

    second.get_by_role("link", name="Choose another time").click()
    expect(second).to_have_url(re.compile(f"{FALL_URL}$"))
    expect(heading(second)).to_have_text(FALL)
    taken = second.locator("#times ul.slots > li").nth(chosen.index)
    expect(taken.locator("a")).to_have_count(0)
    _, offered = first_available_slot(second)
    assert offered.slot_id != chosen.slot_id
    assert text_of(taken.locator(".slot-time")) == chosen.time


def expire_holds(server: DemoSite) -> None:
    """Every live hold runs out now (as if the client had waited past it)."""

    async def write(db: Database) -> None:
        await db.execute(
            bookings.update()
            .where(bookings.c.status == "held")
            .values(expires_at=datetime(2020, 1, 1, tzinfo=UTC))
        )

    off_the_loop(lambda: run_db(server.database_url, write))


def test_a_hold_that_ran_out_offers_the_same_time_again(
    page: Page, server: DemoSite, problems: PageProblems
) -> None:
    problems.allow_error_page(409)
    chosen = reach_quote(page, FALL)
    expect(page.locator(".hold-left")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    expire_holds(server)
    page.reload()
    expect(heading(page)).to_have_text("Your hold ran out")
    expect(page.locator("main")).to_contain_text("this time is still free")
    page.get_by_role("button", name=re.compile(r"^Hold .+ again$")).click()
    expect(heading(page)).to_have_text("Review and book")
    expect(page.locator(".hold-left")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    [booking] = server.bookings()
    assert (booking.status, booking.slot_id) == ("held", chosen.slot_id)


def test_without_javascript_the_hold_names_its_time_zone(
    new_context: ContextFactory, server: DemoSite
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    reach_quote(page, FALL)
    hold = text_of(page.locator(".hold"))
    assert "held for you for 15 more minutes, until" in hold
    assert re.search(r"until \d\d?:\d\d [AP]M Eastern Standard Time\.$", hold), hold
