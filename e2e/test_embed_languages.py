"""The widget speaks the language the host site names: ``data-minis-lang`` on an inline or
popup widget and ``Minis('inline', {lang})`` reach the iframe as ``?lang=``."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .embed_steps import wait_for_event, widget
from .host_site import HostSite

FRENCH_DAY = re.compile(r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+ \S+ \d{4}$")


def test_the_widget_speaks_the_hosts_language(page: Page, host: HostSite) -> None:
    page.goto(host.url("languages.html"))
    wait_for_event(page, "ready")
    inline = widget(page, "#widget")
    expect(inline.locator("html")).to_have_attribute("lang", "fr")
    # Babel's French, not just the attribute: the chosen day's heading.
    expect(inline.locator("#times-heading")).to_have_text(FRENCH_DAY)
    src = page.locator("#widget iframe").get_attribute("src") or ""
    assert "lang=fr" in src
    scripted = widget(page, "#scripted")
    expect(scripted.locator("html")).to_have_attribute("lang", "pt-BR")
    # A time chosen inside the widget keeps the language (no cookie: the link carries it).
    inline.locator("a.slot").first.click()
    expect(inline.locator("#name")).to_be_visible()
    expect(inline.locator("html")).to_have_attribute("lang", "fr")


def test_a_popup_and_its_dialog_speak_the_triggers_language(page: Page, host: HostSite) -> None:
    page.goto(host.url("languages.html"))
    page.wait_for_function("window.Minis && Minis.loaded")
    page.get_by_role("button", name="Book").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.frame_locator("iframe").locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("script[src*='embed-dialog.js']")).to_have_attribute(
        "src", re.compile(r"lang=de")
    )


def test_the_iframes_title_and_the_dialogs_label_are_in_the_widgets_language(
    page: Page, host: HostSite
) -> None:
    """Screen readers name the widget in its language: the loader carries no words, so the
    framed page sends its label when ready, and the dialog script brings its own."""
    page.goto(host.url("languages.html"))
    page.wait_for_function("window.Minis && Minis.loaded")
    french = page.locator("#widget iframe")
    expect(french).to_have_attribute("title", "Réserver une séance mini")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("dialog")).to_have_attribute("aria-label", "Mini-Shooting buchen")
