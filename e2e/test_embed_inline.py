"""The inline embed on another site: skeleton until ready, no inner scrollbar as the steps
change, host events with no personal data, the checkout and confirmation inside the widget."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

from .embed_steps import (
    assert_fits,
    choose_first_time,
    expect_slots,
    host_events,
    wait_for_event,
    widget,
)
from .host_site import HostSite
from .steps import (
    ADA,
    FALL,
    SUCCESS_CARD,
    choose_method,
    confirm_quote,
    continue_to_quote,
    fill_details,
    heading,
    pay_with_card,
)
from .support import DemoSite, PageProblems


def test_inline_widget_books_and_tells_the_host_page(
    page: Page, server: DemoSite, host: HostSite, problems: PageProblems
) -> None:
    # Hold the widget's first page back, to see the skeleton it stands behind.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(f"{server.base_url}/embed/**", hold)
    page.goto(host.url("inline.html"), wait_until="domcontentloaded")
    skeleton = page.locator("#widget > div")
    expect(skeleton).to_be_visible()
    expect(skeleton).to_have_css("height", "320px")
    while not held:
        page.wait_for_timeout(20)
    assert host_events(page) == []
    held[0].continue_()
    page.unroute(f"{server.base_url}/embed/**")

    [ready] = wait_for_event(page, "ready")
    assert ready == {"link": "demo/fall-minis"}
    expect(skeleton).to_have_count(0)
    frame = widget(page)
    expect(heading(frame)).to_have_text(FALL)  # type: ignore[arg-type]
    expect_slots(frame)
    mini_height = assert_fits(page)

    choose_first_time(frame)
    [selected] = wait_for_event(page, "slot-selected")
    assert set(selected) == {"mini", "start", "location", "link"}, selected
    assert selected["mini"] == "fall-minis"
    assert selected["link"] == "demo/fall-minis"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", selected["start"])
    details_height = assert_fits(page)
    assert details_height != mini_height

    frame.get_by_role("link", name="Change time").click()
    expect(heading(frame)).to_have_text(FALL)  # type: ignore[arg-type]
    assert assert_fits(page) == mini_height

    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    continue_to_quote(frame)  # type: ignore[arg-type]
    # The checkout opens inside the widget: the client stays on the photographer's site.
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]
    assert page.url == host.url("inline.html")
    [held_booking] = server.bookings()
    assert (held_booking.status, held_booking.name) == ("held", ADA.name)
    assert_fits(page)

    confirm_quote(frame)  # type: ignore[arg-type]
    choose_method(frame, "Card (demo)")  # type: ignore[arg-type]
    pay_with_card(frame, SUCCESS_CARD)  # type: ignore[arg-type]
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    assert page.url == host.url("inline.html")
    [booking] = server.bookings()
    assert booking.status == "booked"
    [booked] = wait_for_event(page, "booked")
    assert booked["reference"] == booking.reference and booked["link"] == "demo/fall-minis"
    assert "Ada" not in str(booked) and "ada@" not in str(booked)
    assert_fits(page)
    # In order, on the window and on the container alike; lead-created before the checkout.
    seen = [(e["type"], e["on"]) for e in host_events(page)]
    assert seen[:10] == [
        ("ready", "widget"),
        ("ready", "window"),
        *[("slot-selected", "widget"), ("slot-selected", "window")] * 2,
        ("lead-created", "widget"),
        ("lead-created", "window"),
        ("booked", "widget"),
        ("booked", "window"),
    ]
    [created] = [e["detail"] for e in host_events(page) if e["type"] == "lead-created"][:1]
    assert set(created) == {"mini", "start", "location", "link"}, created
