"""The problem watcher itself: on a real page it catches a CSP violation, a failed request and
an unexpected error status, so a quiet run of the other tests means something."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, Page

from .support import DemoSite, PageProblems


def wait_until(page: Page, condition: Callable[[], bool], timeout_ms: int = 5_000) -> None:
    """Let Playwright deliver events until ``condition`` holds."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the watcher never saw it")


def test_the_watcher_catches_what_it_should(browser: Browser, server: DemoSite) -> None:
    watcher = PageProblems()
    context = browser.new_context(base_url=server.base_url)
    try:
        watcher.watch(context)
        page = context.new_page()
        page.goto("/demo")
        page.wait_for_load_state("load")
        assert watcher.found() == []

        # An inline script: the Content-Security-Policy blocks it and Chromium says so.
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.inlineRan = true";
                document.body.append(script);
            }"""
        )
        wait_until(page, lambda: any("Content Security Policy" in p for p in watcher.found()))
        assert page.evaluate("window.inlineRan") is None

        # A request the network refuses (the stylesheet: the page waits for it).
        page.route("**/minis.css*", lambda route: route.abort())
        page.reload(wait_until="load")
        wait_until(page, lambda: any(p.startswith("request failed:") for p in watcher.found()))
        page.unroute("**/minis.css*")

        # An error page nobody said to expect, then one that was expected.
        page.goto("/demo/no-such-session")
        unexpected = "HTTP 404 for document"
        wait_until(page, lambda: any(p.startswith(unexpected) for p in watcher.found()))
    finally:
        context.close()

    # A fresh context, so nothing late from the steps above can land here.
    expected = PageProblems()
    expected.allow_error_page(404)
    context = browser.new_context(base_url=server.base_url)
    try:
        expected.watch(context)
        page = context.new_page()
        page.goto("/demo/another-missing-session")
        page.wait_for_load_state("load")
        wait_until(page, lambda: bool(expected.responses) and bool(expected.console))
        assert expected.found() == []
    finally:
        context.close()
