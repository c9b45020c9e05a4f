"""The dashboard as a photographer sees it in Chromium: the header and menu on a phone, the
statuses that used to mislead (a cancelled booking, a slot whose one spot is held, an offline
booking with nothing paid yet), the charts' numbers against bookings made here, and the mini
session's picture uploaded through the real form."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from .steps import (
    ADA,
    FALL,
    GRACE,
    SUCCESS_CARD,
    choose_method,
    confirm_quote,
    heading,
    pay_with_card,
    reach_quote,
    reserve_offline,
)
from .support import ContextFactory, DemoSite, PageProblems
from .test_admin import fits_the_width, log_in, open_page
from .test_admin_settings import write_png
from .test_embed_a11y import severe_violations

PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1280, "height": 800}


def check_page(page: Page) -> None:
    assert severe_violations(page) == [], page.url
    assert fits_the_width(page), page.url


def test_the_header_and_menu_on_a_phone_and_on_a_wide_screen(
    new_context: ContextFactory,
) -> None:
    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    header = photographer.locator("header.admin-header")
    expect(header.locator(".admin-studio")).to_have_text("Golden Hour Photography")
    # the studio's name sits clear of the colour bar at the top
    bar_to_name = photographer.evaluate(
        "document.querySelector('.admin-studio').getBoundingClientRect().top"
    )
    assert bar_to_name >= 12
    # on a phone the pages are one tap away, behind "Menu"
    nav = photographer.get_by_role("navigation", name="Dashboard")
    expect(nav.get_by_role("link", name="Mini sessions")).to_be_hidden()
    photographer.get_by_text("Menu", exact=True).click()
    expect(nav.get_by_role("link", name="Mini sessions")).to_be_visible()
    expect(nav.locator("[aria-current=page]")).to_have_text("Bookings")
    check_page(photographer)
    open_page(photographer, "Overview")
    expect(heading(photographer)).to_have_text("Overview")
    expect(nav.get_by_role("link", name="Overview")).to_be_hidden()  # closed again
    photographer.set_viewport_size({"width": 320, "height": 700})
    check_page(photographer)

    wide = new_context(viewport=WIDE).new_page()
    log_in(wide)
    nav = wide.get_by_role("navigation", name="Dashboard")
    expect(nav.get_by_role("link", name="Share & embed")).to_be_visible()  # no menu to open
    expect(wide.locator("details.admin-menu summary")).to_be_hidden()
    nav.get_by_role("link", name="Locations").click()
    expect(nav.locator("[aria-current=page]")).to_have_text("Locations")


def book_offline(new_context: ContextFactory) -> None:
    client = new_context(viewport=WIDE).new_page()
    reach_quote(client, FALL, GRACE)
    confirm_quote(client)
    choose_method(client, "Pay the studio directly")
    reserve_offline(client)
    expect(heading(client)).to_have_text("You're booked, Grace!")


def test_statuses_say_what_is_true(
    new_context: ContextFactory, server: DemoSite, problems: PageProblems
) -> None:
    book_offline(new_context)
    holder = new_context(viewport=WIDE).new_page()
    held = reach_quote(holder, FALL, ADA)  # Ada holds a time (Fall: one client per slot)

    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    photographer.get_by_role("link", name=GRACE.name).click()
    main = photographer.locator("main")
    # nothing paid yet: no "Payment recorded", no refunds of $0.00, no "Close lead"
    expect(main).to_contain_text("Chose to pay offline: $225.00 due")
    expect(main).not_to_contain_text("Payment recorded")
    expect(main).not_to_contain_text("$0.00 back")
    expect(main.get_by_role("button", name="Close lead")).to_have_count(0)
    # on a phone the client's details come before the cancel form
    summary_top = main.locator("aside.aside").bounding_box()
    cancel_top = main.locator("form.cancel-form").bounding_box()
    assert summary_top and cancel_top and summary_top["y"] < cancel_top["y"]
    check_page(photographer)

    photographer.get_by_label("Yes, cancel this booking").check()
    photographer.get_by_role("button", name="Cancel booking").click()
    expect(photographer.get_by_role("status")).to_contain_text("Cancelled")
    lead = main.locator(".summary div").filter(has_text="Lead")
    expect(lead).to_contain_text("Cancelled: follow up?")
    expect(lead).not_to_contain_text("Booked")
    expect(lead.get_by_role("button", name="Close lead")).to_be_visible()

    # Ada's time: its one spot is held, so the day's slot list says "Held", not "Open"
    [booking] = [b for b in server.bookings() if b.status == "held"]
    assert booking.slot_id == held.slot_id
    photographer.goto("/admin/minis")
    photographer.get_by_role("link", name=FALL, exact=True).first.click()
    # the slot's row is the one with its Block form, on one of the days' "Slots and changes"
    form = photographer.locator(f"form[action$='/slots/{held.slot_id}/block']")
    day_links = photographer.locator("a", has_text="Slots and changes")
    # count the links once the mini session's page is there, not the list's (a click
    # returns before the page it opens has loaded); goto waits for each day's page
    expect(day_links.first).to_be_visible()
    for href in [link.get_attribute("href") or "" for link in day_links.all()]:
        photographer.goto(href)
        if form.count():
            break
    row = photographer.locator("tr", has=form)
    expect(row).to_contain_text("1 of 1 (1 held)")
    expect(row.locator(".status")).to_have_text("Held")
    check_page(photographer)


def numbers(page: Page, selector: str, attribute: str) -> list[int]:
    return [
        int(v)
        for v in page.locator(selector).evaluate_all(
            f"els => els.map(e => e.getAttribute('{attribute}'))"
        )
    ]


def test_the_charts_count_the_bookings_made(new_context: ContextFactory) -> None:
    client = new_context(viewport=WIDE).new_page()
    reach_quote(client, FALL, ADA)  # opens the mini session's page: one view
    confirm_quote(client)
    choose_method(client, "Card (demo)")
    pay_with_card(client, SUCCESS_CARD)  # the $75.00 deposit of $225.00
    expect(heading(client)).to_have_text("You're booked, Ada!")
    book_offline(new_context)  # Grace: $225.00 due

    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    open_page(photographer, "Mini sessions")
    photographer.get_by_role("link", name=FALL, exact=True).first.click()
    expect(heading(photographer)).to_have_text(FALL)
    money = photographer.locator("[data-chart=money]")
    expect(money).to_have_attribute("data-taken", "7500")
    expect(money).to_have_attribute("data-due", str(15000 + 22500))
    expect(money).to_contain_text("$75.00")
    expect(money).to_contain_text("$375.00")
    assert sum(numbers(photographer, "[data-chart=spots] [data-booked]", "data-booked")) == 2
    assert sum(numbers(photographer, "[data-chart=spots] [data-held]", "data-held")) == 0
    # views reach the database in batches, every few seconds: wait for the first one
    funnel = photographer.locator("[data-chart=funnel] [data-stage='1']")
    for _ in range(20):
        if funnel.get_attribute("data-count") != "0":
            break
        photographer.wait_for_timeout(1000)
        photographer.reload()
    counts = numbers(photographer, "[data-chart=funnel] [data-count]", "data-count")
    assert counts[0] >= 2 and counts[1] >= 2  # two clients viewed the page and chose a time
    assert counts[2:] == [2, 2]  # both gave their details and booked
    check_page(photographer)

    open_page(photographer, "Overview")
    # The demo's sold-out sunflower-minis took $300.00 before the test: the sum adds Ada's.
    totals = photographer.locator("[data-chart=totals]")
    expect(totals).to_contain_text("$375.00")
    check_page(photographer)


def test_the_mini_sessions_picture_is_uploaded_like_the_logo(
    new_context: ContextFactory, tmp_path: Path
) -> None:
    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    open_page(photographer, "Mini sessions")
    photographer.get_by_role("link", name=f"Settings of {FALL}").click()
    picture = photographer.get_by_label("Picture", exact=True)
    # The preview's script listens for a chosen file once it has run (at load).
    expect(picture).to_be_attached()
    photographer.wait_for_load_state("load")
    picture.set_input_files(str(write_png(tmp_path / "fall.png", 320, 180)))
    preview = photographer.locator("[data-preview-for=image] img")
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/png"))
    check_page(photographer)
    photographer.get_by_role("button", name="Save").click()
    expect(photographer.get_by_role("status")).to_have_text("Saved.")
    stored = photographer.locator("[data-preview-for=image] img")
    expect(stored).to_have_attribute("src", re.compile(r"^/images/[0-9a-f]{64}\.png$"))
    src = stored.get_attribute("src")
    assert src
    image = photographer.request.get(src)
    assert image.status == 200 and image.headers["content-type"] == "image/png"

    client = new_context(viewport=WIDE).new_page()
    client.goto("/demo")
    card = client.locator(".card", has_text=FALL)
    expect(card.locator(".card-image img")).to_have_attribute("src", src)
    # The picture as the browser decoded it, once it has loaded (or 0 if it failed to); it
    # is lazy, so it is in view first.
    card.scroll_into_view_if_needed()
    loaded = """img => img.complete ? img.naturalWidth : new Promise(done => {
        img.addEventListener("load", () => done(img.naturalWidth));
        img.addEventListener("error", () => done(0));
    })"""
    assert card.locator(".card-image img").evaluate(loaded) == 320
