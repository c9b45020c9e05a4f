"""Card payments in the browser: the quote, Stripe's hosted page (the stand-in), the signed
webhook it fires, the redirect back, the confirmation; then the balance the same way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.support.live_server import live_server
from tests.support.server_forks import ServerForks
from tests.support.stripe_server import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    StandInStripe,
    stand_in_stripe,
)

from .embed_steps import assert_fits, choose_first_time, wait_for_event, widget
from .host_site import HostSite
from .steps import (
    ADA,
    FALL,
    continue_to_quote,
    fill_details,
    heading,
    reach_quote,
    summary,
)
from .support import DemoSite, PaymentRow, seeded_copy

BOOKING_URL = re.compile(r"/b/[^/]+$")


@pytest.fixture
def stripe_api() -> Iterator[StandInStripe]:
    with stand_in_stripe() as api:
        yield api


@pytest.fixture
def server(
    tmp_path: Path, seeded_demo: Path, stripe_api: StandInStripe, server_forks: ServerForks
) -> Iterator[DemoSite]:
    """The demo site with STRIPE_* set: its mini sessions offer card payments too."""
    url = seeded_copy(seeded_demo, tmp_path)
    log = tmp_path / "uvicorn.log"
    env = {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.base_url,
    }
    with live_server(url, log_path=log, extra_env=env, forks=server_forks) as base_url:
        stripe_api.webhook_url = f"{base_url}/webhooks/stripe"
        yield DemoSite(base_url, url)
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, f"the server logged an error:\n{output}"


def pay_on_stripe(page: Page, stripe_api: StandInStripe, item: str, amount: str) -> None:
    expect(page).to_have_url(re.compile(re.escape(stripe_api.base_url) + r"/pay/cs_test_"))
    expect(heading(page)).to_have_text("Stand-in Checkout")
    expect(page.get_by_text(item)).to_be_visible()
    expect(page.get_by_text(f"Amount: {amount}")).to_be_visible()
    expect(page.get_by_text(f"Email: {ADA.email}")).to_be_visible()
    page.get_by_role("button", name="Pay").click()


def test_pay_the_deposit_and_then_the_balance_through_checkout(
    page: Page, server: DemoSite, stripe_api: StandInStripe
) -> None:
    reach_quote(page, FALL)
    # Card payments come first where the session lists them first: chosen already.
    expect(page.locator("#method-stripe")).to_be_checked()
    page.get_by_role("button", name="Pay $75.00 deposit").click()

    pay_on_stripe(page, stripe_api, "Deposit: Fall Minis", "75.00 USD")
    expect(heading(page)).to_have_text("You're booked, Ada!")
    expect(page).to_have_url(BOOKING_URL)
    assert summary(page)["Paid"] == "$75.00" and summary(page)["Balance due"] == "$150.00"
    # The webhook reached the app (and booked, or found the return had already).
    assert [status for status, _ in stripe_api.deliveries] == [200]
    [booking] = server.bookings()
    assert booking.status == "booked"
    assert booking.payments == (PaymentRow("stripe", "succeeded", 7500),)

    page.get_by_role("button", name="Pay the balance of $150.00 by card").click()
    pay_on_stripe(page, stripe_api, "Balance: Fall Minis", "150.00 USD")
    expect(heading(page)).to_have_text("You're booked, Ada!")
    assert summary(page)["Paid"] == "$225.00" and summary(page)["Balance due"] == "$0.00"
    expect(page.get_by_role("button", name=re.compile("Pay the balance"))).to_have_count(0)
    [booking] = server.bookings()
    assert booking.payments == (
        PaymentRow("stripe", "succeeded", 7500),
        PaymentRow("stripe", "succeeded", 15000),
    )


def test_cancel_on_checkout_returns_to_the_quote_with_the_time_still_held(
    page: Page, server: DemoSite, stripe_api: StandInStripe
) -> None:
    reach_quote(page, FALL)
    page.get_by_role("button", name="Pay $75.00 deposit").click()
    expect(heading(page)).to_have_text("Stand-in Checkout")
    page.get_by_role("link", name="Cancel").click()
    expect(heading(page)).to_have_text("Review and book")
    expect(page.get_by_role("status")).to_contain_text("Payment cancelled: nothing was charged")
    [booking] = server.bookings()
    assert booking.status == "held" and booking.payments == ()


def start_in_widget(page: Page, frame: FrameLocator) -> None:
    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    continue_to_quote(frame)  # type: ignore[arg-type]
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]


def test_card_payment_from_the_inline_widget_comes_back_into_it(
    page: Page, server: DemoSite, stripe_api: StandInStripe, host: HostSite
) -> None:
    """Only Stripe's own page leaves the photographer's site, in the top window; the way
    back lands on the same page, the confirmation in the widget, minis:booked fired."""
    page.goto(host.url("inline.html"))
    start_in_widget(page, widget(page))
    widget(page).get_by_role("button", name="Pay $75.00 deposit").click()
    pay_on_stripe(page, stripe_api, "Deposit: Fall Minis", "75.00 USD")
    expect(heading(widget(page))).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    assert page.url == host.url("inline.html")  # the token left the address bar at once
    [booking] = server.bookings()
    [booked] = wait_for_event(page, "booked")
    assert booked["reference"] == booking.reference and booking.status == "booked"
    assert_fits(page)


def test_card_payment_from_the_popup_reopens_it_with_the_confirmation(
    page: Page, server: DemoSite, stripe_api: StandInStripe, host: HostSite
) -> None:
    page.goto(host.url("popup.html"))
    page.get_by_role("button", name="Book Santa minis").click()
    start_in_widget(page, widget(page))
    widget(page).get_by_role("button", name="Pay $95.00").click()
    pay_on_stripe(page, stripe_api, "Santa Minis", "95.00 USD")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(heading(widget(page))).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    assert page.url == host.url("popup.html")
    [booked] = wait_for_event(page, "booked")
    assert booked["reference"] == server.bookings()[0].reference


def test_cancelling_on_stripe_goes_back_to_the_checkout_in_the_widget(
    page: Page, server: DemoSite, stripe_api: StandInStripe, host: HostSite
) -> None:
    page.goto(host.url("inline.html"))
    start_in_widget(page, widget(page))
    widget(page).get_by_role("button", name="Pay $75.00 deposit").click()
    expect(heading(page)).to_have_text("Stand-in Checkout")
    page.get_by_role("link", name="Cancel").click()
    frame = widget(page)
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]
    expect(frame.get_by_role("status")).to_contain_text("Payment cancelled: nothing was charged")
    assert page.url == host.url("inline.html")
    assert [b.status for b in server.bookings()] == ["held"]
