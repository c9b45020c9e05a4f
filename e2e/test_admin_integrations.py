"""The Integrations page in the browser, on a phone: a key made and shown once, an endpoint
added and its page, the API reference: no axe violations, no sideways scrolling."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .steps import heading
from .support import ContextFactory, PageProblems
from .test_admin import log_in, open_page
from .test_admin_settings import PHONE, check_page


def test_keys_webhooks_and_the_reference_on_a_phone(
    new_context: ContextFactory, problems: PageProblems
) -> None:
    problems.allow_error_page(422)  # the form with a mistake in it
    photographer = new_context(viewport=PHONE).new_page()
    log_in(photographer)
    open_page(photographer, "Integrations")
    expect(heading(photographer)).to_have_text("Integrations")
    check_page(photographer)

    photographer.get_by_label("Name", exact=True).fill("Zapier")
    photographer.get_by_label("Access").select_option("write")
    photographer.get_by_role("button", name="Make key").click()
    key = photographer.get_by_role("textbox", name="Your new API key").input_value()
    assert re.fullmatch(r"mk_[\w-]{43}", key)
    check_page(photographer)
    photographer.goto("/admin/integrations")  # shown once: not on the page again
    expect(photographer.get_by_role("textbox", name="Your new API key")).to_have_count(0)

    photographer.get_by_label("URL", exact=True).fill("http://10.0.0.8/hook")
    photographer.get_by_role("button", name="Add endpoint").click()
    expect(photographer.locator("#hook-url-error")).to_contain_text("public internet")
    check_page(photographer)
    photographer.get_by_label("URL", exact=True).fill("https://hooks.example.com/minis")
    photographer.get_by_role("button", name="Add endpoint").click()
    expect(heading(photographer)).to_have_text("Webhook endpoint")
    expect(photographer.get_by_role("status")).to_contain_text("Endpoint added")
    assert photographer.get_by_label("Signing secret").input_value().startswith("whsec_")
    check_page(photographer)

    photographer.goto("/api/v1/docs")
    expect(heading(photographer)).to_have_text("Minis API")
    check_page(photographer)
