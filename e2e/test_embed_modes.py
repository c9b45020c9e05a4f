"""The ways a site embeds the widget: studio listing, popup (a real modal), floating button,
prefill and utm_*, the queue stub, loading twice, loading late, the checkout in the widget, and the
whole inline path by keyboard alone."""

from __future__ import annotations

from contextlib import suppress

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .embed_steps import (
    WIDGET_TITLE,
    assert_fits,
    choose_first_time,
    expect_slots,
    lead_utms,
    wait_for_event,
    widget,
    widget_frame,
)
from .host_site import HostSite
from .steps import (
    ADA,
    FALL,
    SANTA,
    SUCCESS_CARD,
    continue_to_quote,
    fill_details,
    heading,
    is_focused,
    tab_to,
)
from .support import ContextFactory, DemoSite


def test_studio_listing_shows_every_public_mini_session(page: Page, host: HostSite) -> None:
    page.goto(host.url("studio.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    expect(frame.get_by_role("heading", name=FALL, exact=True)).to_be_visible()
    expect(frame.get_by_role("heading", name=SANTA, exact=True)).to_be_visible()
    assert_fits(page)
    frame.locator(".card").filter(has_text=SANTA).get_by_role("link").first.click()
    expect(heading(frame)).to_have_text(SANTA)  # type: ignore[arg-type]
    expect_slots(frame)


def dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name=WIDGET_TITLE)


def focus_in_dialog(page: Page) -> str:
    """Where the host page's focus is: 'Close', 'iframe', 'dialog', or 'outside: TAG'."""
    # Focus moving into the (out-of-process) iframe passes through <body> for a moment.
    with suppress(PlaywrightTimeoutError):
        page.wait_for_function("document.activeElement !== document.body", timeout=1000)
    return str(
        page.evaluate(
            """() => {
              const a = document.activeElement, box = document.querySelector('[role=dialog]');
              if (!box || !box.contains(a)) return 'outside: ' + a.tagName;
              if (a === box) return 'dialog';
              return a.tagName === 'IFRAME' ? 'iframe' : a.getAttribute('aria-label') || a.tagName;
            }"""
        )
    )


def test_popup_is_a_modal_dialog(new_context: ContextFactory, host: HostSite) -> None:
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(host.url("popup.html"))
    trigger = page.get_by_role("button", name="Book Santa minis")
    page.wait_for_function("window.Minis && Minis.loaded")
    tab_to(page, trigger)
    page.keyboard.press("Enter")

    expect(dialog(page)).to_be_visible()
    assert focus_in_dialog(page) == "dialog"
    frame = widget(page)
    expect(heading(frame)).to_have_text(SANTA)  # type: ignore[arg-type]
    expect_slots(frame)
    wait_for_event(page, "ready")
    # The page behind neither scrolls nor takes the focus; nothing sticks out at 320 px.
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") == "hidden"
    page.mouse.move(160, 300)
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(100)
    assert page.evaluate("scrollY") == 0
    assert page.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [320, 320]
    box = dialog(page).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320

    # Tab and Shift+Tab go round the close button and the widget, never outside.
    for key in ("Tab", "Shift+Tab"):
        places = []
        for _ in range(80):
            page.keyboard.press(key)
            places.append(focus_in_dialog(page))
        assert set(places) == {"Close", "iframe"}, places
        assert places.count("Close") >= 2, f"{key} never came round again: {places}"

    # Escape with the focus on the host page's side of the dialog.
    for _ in range(40):
        if focus_in_dialog(page) == "Close":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(dialog(page)).to_have_count(0)
    assert is_focused(trigger)
    assert page.evaluate("document.documentElement.style.overflow") == ""

    # Escape with the focus inside the widget: the iframe asks the loader to close.
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    expect_slots(widget(page))
    page.keyboard.press("Tab")  # the close button
    page.keyboard.press("Tab")  # into the widget
    assert focus_in_dialog(page) == "iframe"
    assert widget_frame(page).evaluate("document.hasFocus()")
    # Key down only: the iframe it went to is gone before a key up could reach it (and
    # Playwright would wait for that key up forever).
    page.keyboard.down("Escape")
    expect(dialog(page)).to_have_count(0)
    page.keyboard.up("Escape")
    assert is_focused(trigger)


def test_popup_content_fits_a_320_px_phone(new_context: ContextFactory, host: HostSite) -> None:
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(host.url("popup.html"))
    page.get_by_role("button", name="Book Santa minis").click()
    expect_slots(widget(page))
    wait_for_event(page, "ready")
    scroll_width, client_width = widget_frame(page).evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, f"the widget scrolls sideways: {scroll_width} px"


def test_floating_button_opens_the_popup(page: Page, host: HostSite) -> None:
    page.goto(host.url("floating.html"))
    button = page.get_by_role("button", name="Book Santa minis")
    expect(button).to_be_visible()
    expect(button).to_have_css("position", "fixed")
    expect(button).to_have_css("background-color", "rgb(166, 30, 77)")
    button.click()
    expect(dialog(page)).to_be_visible()
    expect(heading(widget(page))).to_have_text(SANTA)  # type: ignore[arg-type]
    wait_for_event(page, "ready")
    dialog(page).get_by_role("button", name="Close").click()
    expect(dialog(page)).to_have_count(0)
    assert is_focused(button)


def test_prefill_and_utm_reach_the_lead(page: Page, server: DemoSite, host: HostSite) -> None:
    page.goto(host.url("prefill.html") + "?utm_source=news&utm_campaign=fall&other=x")
    frame = widget(page)
    choose_first_time(frame)
    expect(frame.get_by_label("Full name", exact=True)).to_have_value(ADA.name)
    expect(frame.get_by_label("Email", exact=True)).to_have_value(ADA.email)
    expect(frame.get_by_label("Phone", exact=True)).to_have_value(ADA.phone)
    continue_to_quote(frame)  # type: ignore[arg-type]
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]
    [booking] = server.bookings()
    assert (booking.name, booking.email, booking.phone) == (ADA.name, ADA.email, ADA.stored_phone)
    # The lead also says how the client came (the studio's funnel): inside the widget.
    assert lead_utms(server) == [{"utm_source": "news", "utm_campaign": "fall", "via": "embed"}]


def test_queue_stub_double_load_and_double_mount(page: Page, host: HostSite) -> None:
    page.goto(host.url("queue.html"))
    wait_for_event(page, "ready")
    expect_slots(widget(page))
    assert page.locator("iframe").count() == 1
    assert page.evaluate("readyCalls") == [{"link": "demo/santa-minis"}]
    # Mounting again once the loader runs is a no-op too.
    page.evaluate("Minis('inline', {el: '#widget', link: 'demo/fall-minis'})")
    page.wait_for_timeout(200)
    assert page.locator("iframe").count() == 1
    assert len(wait_for_event(page, "ready")) == 1


def test_loader_injected_after_the_page_loaded(page: Page, host: HostSite) -> None:
    page.goto(host.url("late.html"))
    [ready] = wait_for_event(page, "ready")
    assert ready == {"link": "demo/santa-minis"}
    assert page.evaluate("stateWhenInjected") == "complete"
    expect_slots(widget(page))
    assert_fits(page)


def test_new_tab_option_keeps_our_own_checkout_in_the_widget(
    page: Page, server: DemoSite, host: HostSite
) -> None:
    """The new-tab option is for a provider's own page only; reserving with the studio
    happens in the widget, with no new page."""
    page.goto(host.url("new-tab.html"))
    frame = widget(page)
    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    continue_to_quote(frame)  # type: ignore[arg-type]
    wait_for_event(page, "lead-created")
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]
    frame.locator("label.method-choice", has_text="Pay the studio directly").click()
    frame.get_by_role("button", name="Reserve and pay the studio").click()
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    wait_for_event(page, "booked")
    assert len(page.context.pages) == 1 and page.url == host.url("new-tab.html")
    assert [b.status for b in server.bookings()] == ["booked"]


def test_inline_booking_by_keyboard_alone(page: Page, server: DemoSite, host: HostSite) -> None:
    page.goto(host.url("inline.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    expect_slots(frame)
    tab_to(page, frame.locator("#times a.slot").first)
    page.keyboard.press("Enter")
    expect(heading(frame)).to_have_text("Your details")  # type: ignore[arg-type]
    for label, value in (("Full name", ADA.name), ("Email", ADA.email), ("Phone", ADA.phone)):
        tab_to(page, frame.get_by_label(label, exact=True))
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]
    [booking] = server.bookings()
    assert (booking.status, booking.name, booking.phone) == ("held", ADA.name, ADA.stored_phone)
    # The demo card is the way to pay chosen first: its field, then Enter pays.
    tab_to(page, frame.get_by_label("Card number"))
    page.keyboard.type(SUCCESS_CARD)
    page.keyboard.press("Enter")
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    wait_for_event(page, "booked")
    assert page.url == host.url("inline.html")
    assert [b.status for b in server.bookings()] == ["booked"]
