"""The embed's waitlist form, countdown and notify-me form on another site, and the host
events they fire (no personal data in them)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .embed_steps import wait_for_event, widget
from .host_site import HostSite
from .support import DemoSite, PageProblems


def test_joining_the_waitlist_in_the_widget_tells_the_host_page(
    page: Page, server: DemoSite, host: HostSite, problems: PageProblems
) -> None:
    page.goto(host.url("waitlist.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    expect(frame.get_by_text("Fully booked: join the waitlist")).to_be_visible()
    frame.locator("#wl-name").fill("Kim Lee")
    frame.locator("#wl-email").fill("kim@example.com")
    frame.locator("#wl-phone").fill("212 555 0199")
    frame.get_by_label("Evenings").check()
    frame.get_by_role("button", name="Join the waitlist").click()
    expect(frame.get_by_role("heading", name="You're on the waitlist")).to_be_visible()
    [joined] = wait_for_event(page, "waitlist-joined")
    assert joined == {"mini": "sunflower-minis", "link": "demo/sunflower-minis"}


def test_a_drop_counts_down_in_the_widget_and_takes_a_notify_me_request(
    page: Page, server: DemoSite, host: HostSite, problems: PageProblems
) -> None:
    page.goto(host.url("drop.html"))
    [countdown] = wait_for_event(page, "countdown")
    assert countdown["mini"] == "spring-minis" and countdown["seconds_left"] > 86400
    frame = widget(page)
    expect(frame.get_by_role("heading", name="Booking opens", exact=False)).to_be_visible()
    expect(frame.locator(".slot")).to_have_count(0)
    frame.locator("#notify-email").fill("kim@example.com")
    frame.get_by_role("button", name="Notify me").click()
    expect(frame.get_by_role("heading", name="Check your inbox")).to_be_visible()
    [asked] = wait_for_event(page, "notify-requested")
    assert asked == {"link": "demo/spring-minis"}
