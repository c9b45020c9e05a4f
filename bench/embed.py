"""5. The embed in Chromium: bytes and time until a client sees slots.

A host page on another origin (``localhost``, while the widget is served from
``127.0.0.1``) carries the two-line snippet. Each run is a fresh browser context
(cold cache) that opens it and waits until a time slot is visible inside the
iframe. The baseline, measured the same way in the same run, is the bare hosted
page ``/demo/fall-minis`` opened directly.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from e2e.support import CHROMIUM_ARGS, chromium_executable
from tests.support.live_server import free_port, live_server

from .fixtures import demo_sqlite
from .report import heading, ms, note, ratio, table

RUNS = 20
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Host</title>
<link rel="icon" href="data:,"></head><body><h1>Jane Doe Photography</h1>
<div data-minis="demo/fall-minis"></div>
<script async src="{widget}/embed.js"></script></body></html>"""


@contextmanager
def host_site(html: str) -> Iterator[str]:
    """Serve one page at http://localhost:PORT/ from a thread."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()


def _visit(browser: Browser, url: str, slot_visible: Callable[[Page], None]) -> tuple[float, int]:
    """Seconds from navigation start to a visible slot, and bytes received (encoded)."""
    context = browser.new_context()
    received = 0

    def count(request: object) -> None:
        nonlocal received
        sizes = request.sizes()  # type: ignore[attr-defined]
        received += sizes["responseBodySize"] + sizes["responseHeadersSize"]

    page = context.new_page()
    page.on("requestfinished", count)
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    slot_visible(page)
    elapsed = time.perf_counter() - started
    page.wait_for_timeout(200)  # let the last requestfinished events land
    context.close()
    return elapsed, received


def run(workdir: Path) -> None:
    heading(
        f"5. Embed in Chromium: host page (another origin) to slots visible, {RUNS} cold runs each"
    )
    executable = chromium_executable()
    url = demo_sqlite(workdir, "embed.db")
    with (
        live_server(url) as widget,
        host_site(HOST_PAGE.format(widget=widget)) as host,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:

            def in_iframe(page: Page) -> None:
                page.frame_locator("iframe").locator("a.slot").first.wait_for()

            def on_page(page: Page) -> None:
                page.locator("a.slot").first.wait_for()

            cases = [
                ("bare hosted page /demo/fall-minis", f"{widget}/demo/fall-minis", on_page),
                ("host page with the inline embed", host, in_iframe),
            ]
            results = []
            for label, target, check in cases:
                _visit(browser, target, check)  # warm the server, not the browser
                runs = [_visit(browser, target, check) for _ in range(RUNS)]
                results.append((label, runs))
        finally:
            browser.close()
    base_time = statistics.median(t for t, _ in results[0][1])
    base_bytes = statistics.median(b for _, b in results[0][1])
    rows = []
    for label, runs in results:
        times = [t for t, _ in runs]
        received = statistics.median(b for _, b in runs)
        rows.append(
            [
                label,
                ms(statistics.median(times)),
                ratio(statistics.median(times), base_time),
                ms(min(times)),
                ms(max(times)),
                f"{received:.0f}",
                ratio(received, base_bytes),
            ]
        )
    table(
        ["page", "median ms", "vs bare page", "min ms", "max ms", "bytes received", "vs bare"],
        rows,
    )
    note(
        "Bytes received: response bodies as sent (gzipped where the server compresses)\n"
        "plus headers, for every request until the first slot is visible; the host page\n"
        "itself is counted too (about 300 bytes). Cold cache: a new browser context per run."
    )
