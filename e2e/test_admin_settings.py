"""Settings and locations in the browser, on a phone: no axe violations, no sideways
scrolling, and a logo uploaded through the real form shows on the booking site."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from playwright.sync_api import Page, expect

from .steps import heading
from .support import ContextFactory, PageProblems
from .test_admin import fits_the_width, log_in, open_page
from .test_embed_a11y import severe_violations

PHONE = {"width": 375, "height": 740}


def write_png(path: Path, width: int = 120, height: int = 40) -> Path:
    """A real PNG of a solid orange block, the size of a small logo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xb4\x54\x0a" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def check_page(page: Page) -> None:
    assert fits_the_width(page), f"{page.url} scrolls sideways at 375 px"
    assert severe_violations(page) == [], page.url


def test_settings_on_a_phone_and_the_logo_on_the_booking_site(
    new_context: ContextFactory, problems: PageProblems, tmp_path: Path
) -> None:
    problems.allow_error_page(400)  # the form with a mistake in it
    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    open_page(photographer, "Settings")
    expect(heading(photographer)).to_have_text("Settings")
    check_page(photographer)

    # a mistake is explained next to the field, and the page still fits
    photographer.get_by_label("Brand colour", exact=True).fill("orange")
    photographer.get_by_label("Websites that may embed your booking pages").fill("ftp://x")
    photographer.get_by_role("button", name="Save settings").click()
    expect(photographer.locator("#brand_color-error")).to_contain_text("#3b5bdb")
    expect(photographer.locator("#allowed_origins-error")).to_contain_text("Line 1")
    check_page(photographer)

    photographer.get_by_label("Brand colour", exact=True).fill("#b4540a")
    photographer.get_by_label("Websites that may embed your booking pages").fill("")
    photographer.get_by_label("Logo").set_input_files(str(write_png(tmp_path / "logo.png")))
    photographer.get_by_role("button", name="Save settings").click()
    expect(photographer.get_by_role("status")).to_have_text("Saved.")
    expect(photographer.get_by_alt_text("Your current logo")).to_be_visible()

    client = new_context(viewport={"width": 1280, "height": 720}).new_page()
    client.goto("/demo")
    logo = client.locator("header img.studio-logo")
    expect(logo).to_have_attribute("alt", "Golden Hour Photography")
    expect(logo).to_be_visible()
    assert client.evaluate("document.querySelector('img.studio-logo').naturalWidth") == 120


def test_locations_on_a_phone(new_context: ContextFactory, problems: PageProblems) -> None:
    problems.allow_error_page(400)  # the form with a mistake in it
    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    open_page(photographer, "Locations")
    expect(heading(photographer)).to_have_text("Locations")
    check_page(photographer)

    photographer.get_by_role("link", name="Add a location").click()
    expect(heading(photographer)).to_have_text("New location")
    photographer.get_by_label("Map link").fill("javascript:alert(1)")
    photographer.get_by_role("button", name="Add the location").click()
    expect(photographer.locator("#name-error")).to_be_visible()
    expect(photographer.locator("#map_url-error")).to_be_visible()
    check_page(photographer)

    photographer.get_by_label("Name", exact=True).fill("Lakeside gazebo")
    photographer.get_by_label("Map link").fill("https://maps.example/?q=gazebo")
    photographer.get_by_label("Time zone").fill("Central Time — Chicago")
    photographer.get_by_role("button", name="Add the location").click()
    expect(heading(photographer)).to_have_text("Lakeside gazebo")
    expect(photographer.get_by_role("status")).to_have_text("Location added.")
    check_page(photographer)

    photographer.get_by_role("button", name="Archive this location").click()
    expect(photographer.get_by_role("button", name="Use it again")).to_be_visible()
    photographer.get_by_role("link", name="All locations").click()
    expect(photographer.get_by_role("heading", name="Archived")).to_be_visible()
    check_page(photographer)
