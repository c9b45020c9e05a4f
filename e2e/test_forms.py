"""The details form's validation (error summary, kept values, aria-invalid) and a whole booking
done with the keyboard alone."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from .steps import (
    ADA,
    FALL,
    SANTA,
    SANTA_URL,
    SUCCESS_CARD,
    choose_first_slot,
    continue_to_quote,
    heading,
    is_focused,
    open_mini_from_studio,
    studio_card,
    summary,
    tab_to,
)
from .support import DemoSite, PageProblems

FIELDS = ("name", "email", "phone")


def error_links(page: Page) -> Locator:
    return page.locator(".error-summary").get_by_role("link")


def test_details_form_reports_every_error_and_keeps_what_was_typed(
    page: Page, server: DemoSite, problems: PageProblems
) -> None:
    problems.allow_error_page(422)
    open_mini_from_studio(page, FALL)
    choose_first_slot(page)
    form_url = page.url

    continue_to_quote(page)
    summary_box = page.locator(".error-summary")
    expect(summary_box).to_be_visible()
    expect(summary_box.get_by_role("heading")).to_have_text("Please check these:")
    expect(error_links(page)).to_have_count(3)
    assert [error_links(page).nth(i).get_attribute("href") for i in range(3)] == [
        f"#{field}" for field in FIELDS
    ]
    # The summary takes the focus, so screen readers announce it and Tab leads to the fields.
    assert is_focused(summary_box)
    for field in FIELDS:
        field_input = page.locator(f"#{field}")
        expect(field_input).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}-error")).to_be_visible()
        described_by = (field_input.get_attribute("aria-describedby") or "").split()
        assert f"{field}-error" in described_by
    assert page.url == form_url

    page.get_by_label("Full name", exact=True).fill(ADA.name)
    page.get_by_label("Email", exact=True).fill("ada.example.com")
    page.get_by_label("Phone", exact=True).fill(ADA.phone)
    continue_to_quote(page)

    expect(summary_box.get_by_role("heading")).to_have_text("Please check this:")
    expect(error_links(page)).to_have_count(1)
    assert error_links(page).get_attribute("href") == "#email"
    expect(page.locator("#name")).to_have_value(ADA.name)
    expect(page.locator("#email")).to_have_value("ada.example.com")
    expect(page.locator("#phone")).to_have_value(ADA.phone)
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", re.compile(".*"))
    expect(page.locator("#phone")).not_to_have_attribute("aria-invalid", re.compile(".*"))
    assert server.bookings() == []

    page.get_by_label("Email", exact=True).fill(ADA.email)
    continue_to_quote(page)
    expect(heading(page)).to_have_text("Review and book")
    assert [b.email for b in server.bookings()] == [ADA.email]


def has_focus_outline(locator: Locator) -> bool:
    style = locator.evaluate("element => getComputedStyle(element).outlineStyle")
    return style not in ("", "none")


def press_enter_on(page: Page, target: Locator) -> None:
    tab_to(page, target)
    assert has_focus_outline(target), "keyboard focus is not visible"
    page.keyboard.press("Enter")


def test_book_santa_minis_with_the_keyboard_only(page: Page, server: DemoSite) -> None:
    page.goto("/demo")
    expect(heading(page)).to_have_text("Mini sessions with Golden Hour Photography")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert is_focused(skip), "the first Tab stop should be the skip link"

    press_enter_on(page, studio_card(page, SANTA).get_by_role("link"))
    expect(heading(page)).to_have_text(SANTA)
    expect(page).to_have_url(re.compile(f"{SANTA_URL}$"))

    press_enter_on(page, page.locator("#times a.slot").first)
    expect(heading(page)).to_have_text("Your details")
    tab_to(page, page.locator("#name"))
    page.keyboard.type(ADA.name)
    page.keyboard.press("Tab")
    page.keyboard.type(ADA.email)
    page.keyboard.press("Tab")
    page.keyboard.type(ADA.phone)
    page.keyboard.press("Enter")

    # One checkout: the card field, then Enter pays.
    expect(heading(page)).to_have_text("Review and book")
    tab_to(page, page.get_by_label("Card number"))
    page.keyboard.type(SUCCESS_CARD)
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("You're booked, Ada!")
    assert summary(page)["Paid"] == "$95.00"
    [booking] = server.bookings()
    assert (booking.status, booking.name, booking.email) == ("booked", ADA.name, ADA.email)
