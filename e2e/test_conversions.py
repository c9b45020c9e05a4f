"""Back on the host page from the hosted confirmation: the loader reports the booking to the
page's own GA4 and Meta Pixel when the studio sent its value (it opted in), and only then."""

from __future__ import annotations

from playwright.sync_api import Page

from .embed_steps import wait_for_event
from .host_site import HostSite


def test_an_opted_in_booking_is_reported_to_ga4_and_the_pixel(page: Page, host: HostSite) -> None:
    page.goto(
        host.url("conversions.html")
        + "#minis-booked=M-ABCDEFGH&minis-value=95.00&minis-currency=USD"
    )
    wait_for_event(page, "booked")
    calls = page.evaluate("window.calls")
    assert calls == [
        [
            "gtag",
            "event",
            "purchase",
            {"transaction_id": "M-ABCDEFGH", "value": 95, "currency": "USD"},
        ],
        ["fbq", "track", "Purchase", {"value": 95, "currency": "USD"}],
    ]
    assert "minis-booked" not in page.url  # reported once: a reload reports nothing


def test_without_a_value_only_the_event_fires(page: Page, host: HostSite) -> None:
    page.goto(host.url("conversions.html") + "#minis-booked=M-ABCDEFGH")
    wait_for_event(page, "booked")
    assert page.evaluate("window.calls") == []
