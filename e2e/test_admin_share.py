"""The Share & embed page in a browser: the preview frames the widget, options apply at
once, and every generated snippet, pasted into another site's page, mounts a widget."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .embed_steps import IFRAME, expect_slots, wait_for_event, widget
from .host_site import HostSite
from .support import ContextFactory
from .test_admin import log_in, open_page

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>{title}</title></head>
<body>
{snippet}
<script src="record.js"></script>
</body></html>
"""


def share_page(new_context: ContextFactory) -> Page:
    photographer = new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(photographer)
    open_page(photographer, "Share & embed")
    expect(photographer.get_by_role("heading", level=1)).to_have_text("Share & embed")
    # the options apply on change through a deferred script: let it run first
    photographer.wait_for_load_state("load")
    return photographer


def test_preview_and_options(new_context: ContextFactory) -> None:
    photographer = share_page(new_context)
    studio = photographer.frame_locator("iframe.share-preview")  # the whole studio
    expect(studio.get_by_text("Fall Minis").first).to_be_visible()
    photographer.get_by_label("What to show").select_option(label="Fall Minis")
    expect(photographer).to_have_url(re.compile(r"mini=fall-minis"))
    photographer.get_by_label("Theme").select_option("dark")
    expect(photographer).to_have_url(re.compile(r"theme=dark"))
    inline = photographer.locator("#snippet-inline")
    expect(inline).to_have_value(re.compile('data-minis="demo/fall-minis" data-minis-theme="dark"'))
    preview = photographer.frame_locator("iframe.share-preview")
    expect_slots(preview)
    expect(preview.locator("html")).to_have_class(re.compile(r"\btheme-dark\b"))
    expect(photographer.get_by_role("button", name="Copy").first).to_be_visible()


@pytest.mark.parametrize("kind", ["inline", "popup", "floating", "iframe"])
def test_generated_snippet_works_on_another_site(
    new_context: ContextFactory, host: HostSite, kind: str
) -> None:
    photographer = share_page(new_context)
    photographer.goto("/admin/share?mini=fall-minis&color=%23aa3366")
    snippet = photographer.locator(f"#snippet-{kind}").input_value()
    url = host.add_page(f"generated-{kind}.html", PAGE.format(title=kind, snippet=snippet))
    visitor = new_context(viewport={"width": 1280, "height": 800}).new_page()
    visitor.goto(url)
    if kind == "iframe":
        expect_slots(visitor.frame_locator(IFRAME))
        return
    if kind == "popup":
        visitor.locator("[data-minis-popup]").click()
    elif kind == "floating":
        visitor.get_by_role("button", name="Book a mini session").click()
    wait_for_event(visitor, "ready")
    expect_slots(widget(visitor))
