"""The booking flow as a client goes through it, step by step, and readers for what pages show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

STUDIO_URL = "/demo"
STUDIO_HEADING = "Mini sessions with Golden Hour Photography"
FALL = "Fall Minis"
FALL_URL = "/demo/fall-minis"
SANTA = "Santa Minis"
SANTA_URL = "/demo/santa-minis"
SUCCESS_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
OFFLINE_INSTRUCTIONS = "Pay by bank transfer within 3 days"


@dataclass(frozen=True)
class Client:
    name: str
    email: str
    phone: str
    stored_phone: str  # as the app keeps it (E.164)


ADA = Client("Ada Lovelace", "ada@example.com", "212 555 0143", "+12125550143")
GRACE = Client("Grace Hopper", "grace@example.com", "(212) 555-0199", "+12125550199")


@dataclass(frozen=True)
class ChosenSlot:
    """A slot picked on a mini page: enough to find it there again."""

    slot_id: int
    index: int  # position in the day's list of times
    time: str  # as shown, e.g. "9:00 AM"
    day_url: str  # the mini page with the slot's day selected
    book_url: str  # its details form


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def text_of(locator: Locator) -> str:
    """Visible text with runs of whitespace (newlines, no-break spaces) made single spaces."""
    return " ".join(locator.inner_text().split())


def open_studio(page: Page) -> None:
    page.goto(STUDIO_URL)
    expect(heading(page)).to_have_text(STUDIO_HEADING)


def studio_card(page: Page, title: str) -> Locator:
    return page.locator(".card").filter(has=page.get_by_role("heading", name=title, exact=True))


def open_mini_from_studio(page: Page, title: str) -> None:
    """Studio page, then the mini session's card."""
    open_studio(page)
    studio_card(page, title).get_by_role("link").click()
    expect(heading(page)).to_have_text(title)


def first_available_slot(page: Page) -> tuple[Locator, ChosenSlot]:
    """The first bookable time of the selected day on a mini page."""
    expect(page.locator("#times a.slot").first).to_be_visible()
    items = page.locator("#times ul.slots > li")
    links = [items.nth(i).locator("a.slot") for i in range(items.count())]
    index = next(i for i, link in enumerate(links) if link.count())
    link = links[index]
    href = link.get_attribute("href") or ""
    slot_id = int(parse_qs(urlsplit(href).query)["slot"][0])
    day_href = page.locator("a.day[aria-current]").get_attribute("href") or ""
    day_url = urlsplit(page.url).path + day_href.split("#")[0]
    time = text_of(link.locator(".slot-time"))
    return link, ChosenSlot(slot_id, index, time, day_url, href)


def choose_first_slot(page: Page) -> ChosenSlot:
    link, chosen = first_available_slot(page)
    link.click()
    expect(heading(page)).to_have_text("Your details")
    return chosen


def fill_details(page: Page, client: Client) -> None:
    page.get_by_label("Full name", exact=True).fill(client.name)
    page.get_by_label("Email", exact=True).fill(client.email)
    page.get_by_label("Phone", exact=True).fill(client.phone)


def continue_to_quote(page: Page) -> None:
    page.get_by_role("button", name="Continue to quote").click()


def reach_quote(page: Page, title: str, client: Client = ADA) -> ChosenSlot:
    """Studio page -> mini page -> first open time -> details -> the quote."""
    open_mini_from_studio(page, title)
    chosen = choose_first_slot(page)
    fill_details(page, client)
    continue_to_quote(page)
    expect(heading(page)).to_have_text(CHECKOUT_HEADING)
    return chosen


CHECKOUT_HEADING = "Review and book"


def confirm_quote(page: Page) -> None:
    """The checkout is one page: the quote, the ways to pay and the button are all on it."""
    expect(heading(page)).to_have_text(CHECKOUT_HEADING)
    expect(page.locator("table.quote")).to_be_visible()


def choose_method(page: Page, label: str) -> None:
    """On the checkout, pick a way to pay (a click on its choice): its part shows."""
    expect(heading(page)).to_have_text(CHECKOUT_HEADING)
    page.locator("label.method-choice", has_text=label).click()
    expect(page.get_by_role("radio", name=re.compile(re.escape(label)))).to_be_checked()


def pay_with_card(page: Page, number: str) -> None:
    expect(heading(page)).to_have_text(CHECKOUT_HEADING)
    page.get_by_label("Card number").fill(number)
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()


def reserve_offline(page: Page) -> None:
    page.get_by_role("button", name="Reserve and pay the studio").click()


def quote_rows(page: Page) -> dict[str, str]:
    """The quote's totals: row heading -> amount, e.g. {"Total": "$225.00", ...}."""
    rows = page.locator("table.quote tfoot tr")
    return {
        text_of(rows.nth(i).locator("th")): text_of(rows.nth(i).locator("td"))
        for i in range(rows.count())
    }


def summary(page: Page) -> dict[str, str]:
    """Every term and value of the page's summary lists, e.g. {"Paid": "$75.00", ...}."""
    pairs = page.locator("dl.summary > div")
    return {
        text_of(pairs.nth(i).locator("dt")): text_of(pairs.nth(i).locator("dd"))
        for i in range(pairs.count())
    }


def slot_on_mini_page(page: Page, chosen: ChosenSlot) -> Locator:
    """Go back to the slot's day on its mini page; the slot's list item there."""
    page.goto(chosen.day_url)
    item = page.locator("#times ul.slots > li").nth(chosen.index)
    expect(item.locator(".slot-time")).to_have_text(chosen.time)
    return item


def is_focused(locator: Locator) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def tab_to(page: Page, target: Locator, *, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if is_focused(target):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


# Counts the person's own clicks (trusted events) across the pages of one tab.
CLICK_COUNTER = """
addEventListener('click', e => { if (e.isTrusted) sessionStorage.setItem('minis-clicks',
  String(+(sessionStorage.getItem('minis-clicks') || 0) + 1)); }, true);
"""


def count_clicks(page: Page) -> None:
    """From the next page on, count the clicks made in this tab (``clicks``)."""
    page.add_init_script(CLICK_COUNTER)


def clicks(page: Page) -> int:
    return int(page.evaluate("+(sessionStorage.getItem('minis-clicks') || 0)"))
