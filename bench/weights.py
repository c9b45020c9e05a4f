"""Benchmark 4: page weights, raw and gzipped, of the pages a client loads and their CSS.

In-process on the demo data. The stylesheet URL is read from each page's
``<link rel=stylesheet>``, as a browser would. ``/embed.js``, the loader, is
included once the app serves it. "on the wire" is what the app itself sends to a
client that accepts gzip (Content-Length and Content-Encoding), to show whether
compression is left to a proxy in front of it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import httpx2

from .fixtures import demo_sqlite, first_open_slot
from .queries import app_client, gzipped_size
from .report import heading, note, share, table


class _Stylesheets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and (found.get("rel") or "").lower() == "stylesheet" and found.get("href"):
            self.hrefs.append(found["href"] or "")


def stylesheets(html: str) -> list[str]:
    parser = _Stylesheets()
    parser.feed(html)
    return parser.hrefs


def _row(label: str, response: httpx2.Response) -> list[object]:
    body = response.content
    packed = gzipped_size(body)
    wire = response.headers.get("content-length", "?")
    encoding = response.headers.get("content-encoding", "none")
    return [label, len(body), packed, share(packed, len(body)), f"{wire} ({encoding})"]


def run(workdir: Path) -> None:
    heading("4. Page weights (demo data; gzip level 6)")
    url = demo_sqlite(workdir, "weights.db")
    slot = first_open_slot(url)
    pages = [
        ("studio page /demo", "/demo"),
        ("mini page /demo/fall-minis", "/demo/fall-minis"),
        ("details form .../book?slot=", f"/demo/fall-minis/book?slot={slot}"),
    ]
    rows: list[list[object]] = []
    css: set[str] = set()
    with app_client(url) as client:
        for label, path in pages:
            response = client.get(path, headers={"accept-encoding": "gzip"})
            response.raise_for_status()
            rows.append(_row(label, response))
            css.update(stylesheets(response.text))
        for href in sorted(css):
            response = client.get(href, headers={"accept-encoding": "gzip"})
            response.raise_for_status()
            rows.append(_row(f"stylesheet {href.split('?')[0]}", response))
        loader = client.get("/embed.js", headers={"accept-encoding": "gzip"})
        if loader.status_code == 200:
            rows.append(_row("loader /embed.js", loader))
    table(["resource", "bytes", "gzipped", "gz/raw", "on the wire (encoding)"], rows)
    if loader.status_code != 200:
        note(f"/embed.js: HTTP {loader.status_code}, not served yet; its weight is not measured.")
