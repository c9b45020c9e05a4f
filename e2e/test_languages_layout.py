"""The longest translations on the smallest phone: German and French, the whole path of the
fullest mini session (questions, add-ons, a contract, tax) at 320 px and on a desktop, with
nothing sticking out sideways; full-page screenshots saved for people to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .support import screenshot_dir

WIDTHS = (320, 1280)
HEIGHT = 800
FILL = {
    "email": "ada@example.com",
    "tel": "212 555 0143",
    "number": "2",
    "date": "2027-01-15",
}


def capture(page: Page, language: str, name: str) -> None:
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    expect(page.locator("html")).to_have_attribute("lang", language)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.screenshot(path=directory / f"lang-{language}-{name}-{width}.png", full_page=True)
        document_width, viewport_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert document_width <= viewport_width, (
            f"{language} {name} at {width} px scrolls sideways: {document_width} px wide"
        )
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})


def fill_required(form: Locator) -> None:
    """Answer every visible required field as a client would (the labels are translated;
    the fields' types say what they want)."""
    fields = form.locator("input[required]:visible, textarea[required]:visible")
    for index in range(fields.count()):
        field = fields.nth(index)
        kind = field.get_attribute("type") or "text"
        if kind in ("radio", "checkbox"):
            field.check()
        elif not field.input_value():
            field.fill(FILL.get(kind, "Ada Lovelace"))
    selects = form.locator("select[required]:visible")
    for index in range(selects.count()):
        selects.nth(index).select_option(index=1)


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_fullest_path_fits_a_small_phone(page: Page, language: str) -> None:
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    page.goto(f"/demo?lang={language}")
    capture(page, language, "1-studio")

    page.goto(f"/demo/family-minis?lang={language}")
    capture(page, language, "2-mini")

    page.locator("#times a.slot").first.click()
    details = page.locator("main form[method=post]").first
    expect(details).to_be_visible()
    capture(page, language, "3-details")
    fill_required(details)
    details.locator("button[type=submit]").last.click()

    checkout = page.locator("form.checkout")
    expect(checkout).to_be_visible()
    expect(page.locator(".contract")).to_be_visible()
    capture(page, language, "4-checkout")
    fill_required(checkout)
    checkout.locator("input[name=card]:visible").fill("4242 4242 4242 4242")
    checkout.locator("button.wide[type=submit]:visible").last.click()

    expect(page).to_have_url(re.compile(r"/b/[^/?]+\?(.*&)?done=booked"))
    capture(page, language, "5-confirmation")
