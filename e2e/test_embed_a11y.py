"""axe-core (axe-playwright-python, which bundles axe.min.js) finds no serious or critical
accessibility violation in the widget inside its iframe, the open popup, or the hosted pages."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, Page, expect

from .embed_steps import choose_first_time, expect_slots, wait_for_event, widget, widget_frame
from .host_site import HostSite
from .steps import (
    ADA,
    FALL,
    SUCCESS_CARD,
    choose_first_slot,
    choose_method,
    confirm_quote,
    continue_to_quote,
    fill_details,
    heading,
    open_mini_from_studio,
    open_studio,
    pay_with_card,
)
from .support import ContextFactory

AXE = Axe()
SEVERE = {"serious", "critical"}
# Each frame is checked on its own: axe's cross-frame messaging would only wait for
# frames that have no axe in them.
OPTIONS = {"resultTypes": ["violations"], "iframes": False}


def severe_violations(target: Page | Frame, context: Any = None) -> list[str]:
    """'rule (impact): targets' for every serious or critical violation."""
    results = AXE.run(target, context=context, options=OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]} {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in SEVERE
    ]


def test_inline_widget_has_no_severe_violations(page: Page, host: HostSite) -> None:
    page.goto(host.url("inline.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    expect_slots(frame)
    assert severe_violations(widget_frame(page)) == []
    choose_first_time(frame)
    assert severe_violations(widget_frame(page)) == []
    assert severe_violations(page) == []


def test_open_popup_has_no_severe_violations(page: Page, host: HostSite) -> None:
    page.goto(host.url("popup.html"))
    page.get_by_role("button", name="Book Santa minis").click()
    expect_slots(widget(page))
    wait_for_event(page, "ready")
    assert severe_violations(page) == []
    assert severe_violations(widget_frame(page)) == []


def test_hosted_pages_have_no_severe_violations(page: Page) -> None:
    open_studio(page)
    found = {"studio": severe_violations(page)}
    open_mini_from_studio(page, FALL)
    found["mini"] = severe_violations(page)
    choose_first_slot(page)
    found["details"] = severe_violations(page)
    fill_details(page, ADA)
    continue_to_quote(page)
    confirm_quote(page)
    found["checkout"] = severe_violations(page)
    choose_method(page, "Pay the studio directly")
    found["checkout-offline"] = severe_violations(page)
    choose_method(page, "Card (demo)")
    pay_with_card(page, SUCCESS_CARD)
    expect(heading(page)).to_have_text("You're booked, Ada!")
    found["confirmation"] = severe_violations(page)
    assert found == {name: [] for name in found}


def test_axe_reports_a_known_violation(page: Page, host: HostSite) -> None:
    """The check above can fail: a nameless button is a critical violation."""
    page.goto(
        host.add_page(
            "nameless.html", '<!doctype html><html lang="en"><title>x</title><button></button>'
        )
    )
    assert [v.split(" ")[0] for v in severe_violations(page)] == ["button-name"]


def test_the_widget_checkout_and_confirmation_have_no_severe_violations(
    new_context: ContextFactory, host: HostSite
) -> None:
    """The new path inside a popup on a 320 px phone: checkout, offline part, confirmation."""
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    page.goto(host.url("popup.html"))
    page.wait_for_function("window.Minis && Minis.loaded")
    page.get_by_role("button", name="Book Santa minis").click()
    frame = widget(page)
    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    continue_to_quote(frame)  # type: ignore[arg-type]
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]
    found = {"checkout": severe_violations(widget_frame(page))}
    width = widget_frame(page).evaluate("document.documentElement.scrollWidth")
    assert width <= widget_frame(page).evaluate("window.innerWidth")
    pay_with_card(frame, SUCCESS_CARD)  # type: ignore[arg-type]
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    wait_for_event(page, "booked")
    found["confirmation"] = severe_violations(widget_frame(page))
    assert found == {name: [] for name in found}
