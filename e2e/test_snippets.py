"""Every snippet in snippets/ works as pasted: its HTML, with the live widget's address in
place of https://book.example.com, served as a page of another site, mounts a widget that
shows bookable times. The React component runs in React 18 (Debian's node-react UMD build)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from .embed_steps import IFRAME, choose_first_time, expect_slots, wait_for_event, widget
from .host_site import HostSite
from .steps import ADA, SUCCESS_CARD, continue_to_quote, fill_details, heading
from .support import DemoSite

SNIPPETS = Path(__file__).resolve().parents[1] / "snippets"
PLACEHOLDER = "https://book.example.com"
HTML_BLOCK = re.compile(r"```html\n(.*?)```", re.DOTALL)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>{title}</title></head>
<body>
{snippet}
<script src="record.js"></script>
</body></html>
"""
# React 18's browser (UMD) builds, as Debian's node-react and node-react-dom install them;
# the development ones, in which StrictMode runs every effect twice.
REACT_UMD = Path("/usr/share/nodejs/react/umd/react.development.js")
REACT_DOM_UMD = Path("/usr/share/nodejs/react-dom/umd/react-dom.development.js")


def html_blocks() -> list[tuple[str, str]]:
    """(test id, HTML) for every ```html block of every snippet file."""
    found = []
    for path in sorted(SNIPPETS.glob("*.md")):
        for index, block in enumerate(HTML_BLOCK.findall(path.read_text())):
            found.append((f"{path.stem}-{index + 1}", block))
    return found


def host_page(host: HostSite, name: str, snippet: str) -> str:
    assert PLACEHOLDER in snippet, f"{name} does not load from {PLACEHOLDER}"
    html = PAGE.format(title=name, snippet=snippet.replace(PLACEHOLDER, host.widget))
    return host.add_page(f"snippet-{name}.html", html)


def test_every_builder_has_a_snippet() -> None:
    names = {name.split("-")[0] for name, _ in html_blocks()}
    expected = {"html", "wordpress", "squarespace", "wix", "showit", "webflow", "iframe"}
    assert names == expected


SCRIPT_BLOCKS = [(name, block) for name, block in html_blocks() if not name.startswith("iframe")]


@pytest.mark.parametrize(("name", "snippet"), SCRIPT_BLOCKS, ids=[n for n, _ in SCRIPT_BLOCKS])
def test_snippet_mounts_a_widget(page: Page, host: HostSite, name: str, snippet: str) -> None:
    url = host_page(host, name, snippet)
    frame: FrameLocator
    if name.startswith("wix"):
        # Wix puts the embed in an iframe of its own: the snippet runs in there.
        assert url == host.url("snippet-wix-1.html")  # what wix-frame.html frames
        page.goto(host.url("wix-frame.html"))
        frame = page.frame_locator("#builder-embed").frame_locator(IFRAME)
    else:
        page.goto(url)
        if "data-minis-popup" in snippet:
            page.locator("[data-minis-popup]").click()
        elif "floating" in snippet:
            page.get_by_role("button", name="Book a mini session").click()
        wait_for_event(page, "ready")
        frame = widget(page)
    expect_slots(frame)


def test_iframe_snippet_books_up_to_the_quote(page: Page, server: DemoSite, host: HostSite) -> None:
    [(name, snippet)] = [(n, b) for n, b in html_blocks() if n.startswith("iframe")]
    page.goto(host_page(host, name, snippet))
    frame = page.frame_locator("iframe[title='Book a mini session']")
    expect_slots(frame)
    choose_first_time(frame)
    fill_details(frame, ADA)  # type: ignore[arg-type]
    continue_to_quote(frame)  # type: ignore[arg-type]
    # Without the loader too, the checkout and the confirmation stay in the frame.
    expect(heading(frame)).to_have_text("Review and book")  # type: ignore[arg-type]
    frame.get_by_label("Card number").fill(SUCCESS_CARD)
    frame.get_by_role("button", name="Pay $75.00 deposit").click()
    expect(heading(frame)).to_have_text("You're booked, Ada!")  # type: ignore[arg-type]
    assert page.url == host.url(f"snippet-{name}.html")
    assert [b.status for b in server.bookings()] == ["booked"]


REACT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>React</title>
<script src="/react.js"></script>
<script src="/react-dom.js"></script>
<script type="importmap">{"imports": {"react": "/react-module.js"}}</script>
</head>
<body>
<div id="root"></div>
<script type="module">
import MinisWidget from "/MinisWidget.jsx";
const props = {link: "demo/fall-minis", theme: "light", prefill: {name: "Ada Lovelace"}};
const app = React.createElement(React.StrictMode, null, React.createElement(MinisWidget, props));
ReactDOM.createRoot(document.getElementById("root")).render(app);
</script>
<script src="record.js"></script>
</body></html>
"""
# The UMD build's global, as the ES module the component imports.
REACT_MODULE = "export const { createElement, useEffect, useRef } = window.React;\n"


def test_react_component_mounts_one_widget(page: Page, host: HostSite) -> None:
    if not (REACT_UMD.exists() and REACT_DOM_UMD.exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must install React: apt-get install node-react node-react-dom")
        pytest.skip("React's UMD build is not installed: apt-get install node-react node-react-dom")
    js = "text/javascript; charset=utf-8"
    host.add_file("react.js", REACT_UMD.read_bytes(), js)
    host.add_file("react-dom.js", REACT_DOM_UMD.read_bytes(), js)
    host.add_file("react-module.js", REACT_MODULE.encode(), js)
    component = (SNIPPETS / "react" / "MinisWidget.jsx").read_text()
    host.add_file("MinisWidget.jsx", component.replace(PLACEHOLDER, host.widget).encode(), js)
    page.goto(host.add_page("react.html", REACT_PAGE))

    [ready] = wait_for_event(page, "ready")
    assert ready == {"link": "demo/fall-minis"}
    frame = widget(page)
    expect_slots(frame)
    # StrictMode runs the effect twice: still one widget, one loader.
    assert page.locator("iframe").count() == 1
    assert page.locator(f"script[src='{host.widget}/embed.js']").count() == 1
    choose_first_time(frame)
    expect(frame.get_by_label("Full name", exact=True)).to_have_value("Ada Lovelace")
