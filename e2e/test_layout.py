"""Layout: full-page screenshots of each booking step at phone and desktop widths (saved to
$E2E_SCREENSHOTS for people to look at), no sideways scrolling, and the site's icon."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .steps import (
    ADA,
    DECLINED_CARD,
    FALL,
    SUCCESS_CARD,
    choose_first_slot,
    choose_method,
    continue_to_quote,
    fill_details,
    heading,
    open_studio,
    pay_with_card,
    studio_card,
)
from .support import ContextFactory, PageProblems, screenshot_dir

PHONE, DESKTOP = 375, 1280
HEIGHT = 800


def overflow(page: Page) -> tuple[int, int]:
    """(document width, viewport width): the first is larger when the page scrolls sideways."""
    document_width, viewport_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    return int(document_width), int(viewport_width)


def capture(page: Page, name: str) -> None:
    """Screenshot the page at both widths; at each, nothing may stick out sideways."""
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.screenshot(path=directory / f"{name}-{width}.png", full_page=True)
        scroll_width, viewport_width = overflow(page)
        assert scroll_width <= viewport_width, (
            f"{name} at {width} px scrolls sideways: {scroll_width} px wide"
        )


def test_each_step_fits_a_phone_and_a_desktop(page: Page, problems: PageProblems) -> None:
    problems.allow_error_page(422)
    open_studio(page)
    capture(page, "1-studio")

    studio_card(page, FALL).get_by_role("link").click()
    expect(heading(page)).to_have_text(FALL)
    capture(page, "2-mini")

    choose_first_slot(page)
    capture(page, "3-details")
    continue_to_quote(page)
    expect(page.locator(".error-summary")).to_be_visible()
    capture(page, "3-details-errors")

    fill_details(page, ADA)
    continue_to_quote(page)
    expect(heading(page)).to_have_text("Review and book")
    capture(page, "4-checkout")
    choose_method(page, "Pay the studio directly")
    capture(page, "5-checkout-offline")
    choose_method(page, "Card (demo)")
    pay_with_card(page, DECLINED_CARD)
    expect(page.get_by_role("alert")).to_be_visible()
    capture(page, "6-checkout-declined")
    pay_with_card(page, SUCCESS_CARD)
    expect(heading(page)).to_have_text("You're booked, Ada!")
    capture(page, "7-confirmation")


def test_the_site_has_an_icon(page: Page) -> None:
    open_studio(page)
    icon = page.locator("link[rel~='icon']").first
    href = icon.get_attribute("href") if icon.count() else "/favicon.ico"
    response = page.request.get(href or "/favicon.ico")
    assert response.ok, f"{href} is a {response.status}"


def test_a_phone_sees_the_first_times_without_scrolling(new_context: ContextFactory) -> None:
    """375 by 740: the dates are one compact row, so the first times show at once."""
    page = new_context(viewport={"width": 375, "height": 740}).new_page()
    page.goto("/demo/fall-minis")
    expect(heading(page)).to_have_text(FALL)
    first = page.locator("#times .slot").first
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740, box
    # The dates scroll sideways inside their own row; the page itself does not.
    scroll_width, viewport_width = overflow(page)
    assert scroll_width <= viewport_width
    expect(page.locator(".mini-image img")).to_be_visible()
