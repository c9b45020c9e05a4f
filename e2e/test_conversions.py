"""A booking made in the widget is reported to the host page's own GA4 and Meta Pixel when
the studio opted in (with its value and currency, nothing personal), and only then."""

from __future__ import annotations

from databases import Database
from playwright.sync_api import Page, expect

from tests.support.databases import run_db

from .embed_steps import choose_first_time, wait_for_event, widget
from .host_site import HostSite
from .steps import (
    ADA,
    SUCCESS_CARD,
    choose_method,
    confirm_quote,
    continue_to_quote,
    fill_details,
    heading,
    pay_with_card,
)
from .support import DemoSite, off_the_loop


def _report_conversions(server: DemoSite, on: bool) -> None:
    async def write(db: Database) -> None:
        await db.execute(
            "UPDATE studios SET report_conversions = :on WHERE slug = 'demo'", {"on": on}
        )

    off_the_loop(lambda: run_db(server.database_url, write))


def _book_in_the_widget(page: Page, host: HostSite) -> dict[str, object]:
    page.goto(host.url("conversions.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    continue_to_quote(frame)  # type: ignore[arg-type]
    confirm_quote(frame)  # type: ignore[arg-type]
    choose_method(frame, "Card (demo)")  # type: ignore[arg-type]
    pay_with_card(frame, SUCCESS_CARD)  # type: ignore[arg-type]
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    [booked] = wait_for_event(page, "booked")
    return booked


def test_an_opted_in_booking_is_reported_to_ga4_and_the_pixel(
    page: Page, server: DemoSite, host: HostSite
) -> None:
    _report_conversions(server, True)
    try:
        booked = _book_in_the_widget(page, host)
    finally:
        _report_conversions(server, False)
    [booking] = [b for b in server.bookings() if b.reference == booked["reference"]]
    value, currency = float(str(booked["value"])), booked["currency"]
    assert value > 0 and currency == "USD"
    calls = page.evaluate("window.calls")
    assert calls == [
        [
            "gtag",
            "event",
            "purchase",
            {"transaction_id": booking.reference, "value": value, "currency": "USD"},
        ],
        ["fbq", "track", "Purchase", {"value": value, "currency": "USD"}],
    ]
    assert ADA.email not in str(calls) and ADA.name not in str(calls)


def test_without_the_opt_in_only_the_event_fires(
    page: Page, server: DemoSite, host: HostSite
) -> None:
    booked = _book_in_the_widget(page, host)
    assert "value" not in booked and booked["reference"]
    assert page.evaluate("window.calls") == []
