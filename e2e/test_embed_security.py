"""What a host page can and cannot do to the widget: forged messages are ignored, the iframe
talks only to the origin it was given and only where the studio allows, no cookies are
needed (third-party cookies blocked), and the widget takes the host page's background."""

from __future__ import annotations

import re
import struct
import zlib

from playwright.sync_api import Page, expect

from .embed_steps import (
    assert_fits,
    choose_first_time,
    expect_slots,
    host_events,
    received_messages,
    set_allowed_origins,
    wait_for_event,
    widget,
    widget_frame,
    widget_iframe,
)
from .host_site import HostSite
from .steps import (
    ADA,
    SUCCESS_CARD,
    confirm_quote,
    continue_to_quote,
    fill_details,
    heading,
    pay_with_card,
)
from .support import ContextFactory, DemoSite, PageProblems


def test_hostile_host_page_cannot_forge_widget_messages(
    page: Page, server: DemoSite, host: HostSite
) -> None:
    page.goto(host.url("hostile.html"))
    wait_for_event(page, "ready")
    height = assert_fits(page)
    page.evaluate("forge()")
    # The fake widget frame is real and posts to this page; wait until it has, and the
    # page's own forgeries have arrived too (4 from the page, 4 + 4 from its iframes).
    page.wait_for_function(
        """() => {
          const seen = JSON.parse(sessionStorage.getItem('minis-messages') || '[]');
          return seen.filter(m => m.fromFake && m.type === 'ready').length
            && seen.filter(m => m.origin === location.origin).length >= 12;
        }"""
    )
    page.wait_for_timeout(300)  # a navigation, had one been started, would show by now
    assert page.url == host.url("hostile.html")
    assert widget_iframe(page, "#widget").evaluate("f => f.style.height") == f"{height:g}px"
    assert [e["type"] for e in host_events(page)] == ["ready", "ready"]  # container, window
    forged = [m for m in received_messages(page) if m["origin"] == host.origin]
    assert {m["type"] for m in forged} == {"navigate", "resize", "ready", "booked"}


def test_iframe_posts_only_to_its_parent_origin(
    page: Page, server: DemoSite, host: HostSite, problems: PageProblems
) -> None:
    page.goto(host.url("inline.html"))
    wait_for_event(page, "ready")
    expect_slots(widget(page))
    messages = received_messages(page)
    assert messages, "the widget posted nothing"
    assert {m["origin"] for m in messages} == {server.base_url}

    # Told another parent origin, the widget's messages never reach this page.
    page.evaluate(
        """(src) => {
          const f = document.createElement('iframe');
          f.id = 'fake';
          f.src = src;
          document.body.appendChild(f);
        }""",
        f"{server.base_url}/embed/demo/fall-minis?parent=https%3A%2F%2Fother.example",
    )
    fake = page.frame_locator("#fake")
    expect(fake.locator("#times a.slot").first).to_be_visible()
    page.wait_for_timeout(300)
    assert not [m for m in received_messages(page) if m["fromFake"]]


def test_studio_that_does_not_allow_the_site_is_not_framed(
    page: Page, server: DemoSite, host: HostSite, problems: PageProblems
) -> None:
    problems.allow_console("violates the following Content Security Policy directive")
    set_allowed_origins(server, "https://photos.example http://localhost:1")
    page.goto(host.url("inline.html"))
    frame = widget_iframe(page)
    expect(frame).to_have_count(1)
    page.wait_for_timeout(1500)
    assert received_messages(page) == []
    assert host_events(page) == []
    expect(page.locator("#widget > div")).to_be_visible()  # still the skeleton
    expect(widget(page).locator("#times")).to_have_count(0)
    # Chromium refuses the response (CSP frame-ancestors) and reports the request failed.
    refused = [p for p in problems.other if "ERR_BLOCKED_BY_RESPONSE" in p and "/embed/" in p]
    assert refused, f"the browser did not refuse the frame: {problems.other}"
    problems.other = [p for p in problems.other if p not in refused]

    # Once the studio lists the site, it embeds.
    set_allowed_origins(server, f"https://photos.example {host.origin}")
    page.reload()
    wait_for_event(page, "ready")
    expect_slots(widget(page))
    assert {m["origin"] for m in received_messages(page)} == {server.base_url}


def test_books_with_third_party_cookies_blocked_and_sets_none(
    new_context: ContextFactory, server: DemoSite, host: HostSite
) -> None:
    context = new_context()
    page = context.new_page()
    # Chromium's own third-party cookie restriction (Network.setCookieControls), on before
    # the first page loads.
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.setCookieControls",
        {
            "enableThirdPartyCookieRestriction": True,
            "disableThirdPartyCookieMetadata": True,
            "disableThirdPartyCookieHeuristics": True,
        },
    )
    page.goto(host.url("inline.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    continue_to_quote(frame)  # type: ignore[arg-type]
    confirm_quote(frame)  # type: ignore[arg-type]
    pay_with_card(frame, SUCCESS_CARD)  # type: ignore[arg-type]
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    [booking] = server.bookings()
    assert booking.status == "booked"
    assert context.cookies() == []


def test_dark_theme_on_a_transparent_background(page: Page, host: HostSite) -> None:
    page.goto(host.url("dark.html"))
    wait_for_event(page, "ready")
    frame = widget(page)
    expect_slots(frame)
    assert_fits(page)
    inside = widget_frame(page)
    assert inside.evaluate("document.documentElement.className").split() == [
        "embed",
        "theme-dark",
    ]
    panel = inside.evaluate("getComputedStyle(document.querySelector('.panel')).backgroundColor")
    red, green, blue = (int(v) for v in re.findall(r"\d+", panel)[:3])
    assert max(red, green, blue) < 80, f"the panel is not dark: {panel}"
    transparent = "rgba(0, 0, 0, 0)"
    backgrounds = inside.evaluate(
        "[document.documentElement, document.body].map(e => getComputedStyle(e).backgroundColor)"
    )
    assert backgrounds == [transparent, transparent]
    # The host page's yellow shows through the iframe beside the panels.
    box = widget_iframe(page).bounding_box()
    assert box is not None
    shot = page.screenshot(clip={"x": box["x"], "y": box["y"], "width": 4, "height": 4})
    assert pixel(shot) == (255, 212, 59)


def pixel(png: bytes) -> tuple[int, int, int]:
    """The top-left pixel of an 8-bit RGB(A) PNG screenshot."""
    chunks, offset = b"", 8
    width = 0
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        data = png[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, _, depth, color = struct.unpack(">IIBB", data[:10])
            assert (depth, color) in {(8, 2), (8, 6)}, (depth, color)
        if kind == b"IDAT":
            chunks += data
        offset += 12 + length
    raw = zlib.decompress(chunks)
    assert width and raw[0] in {0, 1, 2, 3, 4}, "not a PNG scanline"
    # The first pixel of the first row: every PNG filter predicts it as 0, so it is raw.
    return raw[1], raw[2], raw[3]
