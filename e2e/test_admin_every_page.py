"""Every dashboard page a photographer can reach by its links passes axe (no serious or
critical violation) on a 375 px phone and doesn't scroll sideways on a 320 px one.

The pages are found by following the dashboard's own links from the bookings list and the
overview, one page per kind (an id in the path is one kind), so a page added later is
checked without being listed here."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page

from .support import ContextFactory
from .test_admin import fits_the_width, log_in
from .test_embed_a11y import severe_violations

SKIP = (".csv", ".pdf", ".ics", "/html", "done=")  # downloads, raw emails, flash messages


def kind(href: str) -> str:
    return re.sub(r"/\d+", "/N", href)


def dashboard_pages(page: Page, check: Callable[[], list[str]]) -> dict[str, list[str]]:
    """kind -> what ``check`` found on one address of that kind, following the dashboard's
    links from the first pages (each page is checked while it is open: loaded once)."""
    found: dict[str, list[str]] = {}
    queue = ["/admin/bookings", "/admin/overview"]
    while queue:
        href = queue.pop(0)
        if kind(href) in found:
            continue
        page.goto(href)
        found[kind(href)] = check()
        links = page.eval_on_selector_all(
            "a[href^='/admin']", "links => links.map(a => a.getAttribute('href'))"
        )
        for link in links:
            link = link.split("#")[0]
            if any(s in link for s in SKIP):
                continue
            if "?" in link and not link.startswith("/admin/bookings?status="):
                link = link.split("?")[0]
            queue.append(link)
    return found


def test_every_dashboard_page_passes_axe_and_fits_a_small_phone(
    new_context: ContextFactory,
) -> None:
    photographer = new_context(viewport={"width": 375, "height": 740}).new_page()
    log_in(photographer)

    def check() -> list[str]:
        problems = severe_violations(photographer)
        photographer.set_viewport_size({"width": 320, "height": 640})
        if not fits_the_width(photographer):
            problems.append("wider than a 320 px screen")
        photographer.set_viewport_size({"width": 375, "height": 740})
        return problems

    found = dashboard_pages(photographer, check)
    # The crawl reached every part of the dashboard, not just the first pages.
    for expected in (
        "/admin/minis/N",
        "/admin/minis/N/edit",
        "/admin/minis/N/days/N/edit",
        "/admin/bookings/N",
        "/admin/settings",
        "/admin/share",
        "/admin/pricing",
        "/admin/locations/N",
        "/admin/integrations",
        "/admin/notify",
        "/admin/emails",
    ):
        assert expected in found, sorted(found)
    assert found == {name: [] for name in found}
