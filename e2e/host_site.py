"""The photographer's website in the e2e tests: host pages served from a second origin.

Each embed scenario has one tiny page in ``e2e/hosts/``. They are served on
``http://localhost:PORT`` while the widget runs on ``http://127.0.0.1:PORT``: another
host name, so another origin and another site (the widget is a third party there,
as on a real website). ``{{WIDGET}}`` in a page becomes the live widget's origin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HOSTS_DIR = Path(__file__).resolve().parent / "hosts"
PLACEHOLDER = "{{WIDGET}}"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass
class HostSite:
    """A static website on its own origin that embeds the widget.

    host = HostSite(widget="http://127.0.0.1:8000")  # then serve(host)
    page.goto(host.url("inline.html"))
    """

    widget: str
    origin: str = ""
    # Pages and scripts added by a test, by path: snippets, vendored libraries.
    extra: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"{self.origin}/{name.lstrip('/')}"

    def add_page(self, path: str, html: str) -> str:
        """Serve ``html`` (with the widget placeholder filled in) at ``path``; its URL."""
        self.add_file(path, html.replace(PLACEHOLDER, self.widget).encode(), TYPES[".html"])
        return self.url(path)

    def add_file(self, path: str, body: bytes, content_type: str) -> None:
        self.extra["/" + path.lstrip("/")] = (content_type, body)

    def find(self, path: str) -> tuple[str, bytes] | None:
        """(content type, body) for a request path, or None: a 404."""
        if path in self.extra:
            return self.extra[path]
        name = path.lstrip("/")
        file = HOSTS_DIR / name
        if "/" in name or file.suffix not in TYPES or not file.is_file():
            return None
        text = file.read_text().replace(PLACEHOLDER, self.widget)
        return TYPES[file.suffix], text.encode()


def _handler(site: HostSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
                return
            found = site.find(path)
            if found is None:
                self.send_error(404)
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the test output is for failures

    return Handler


@contextmanager
def serve(site: HostSite) -> Iterator[HostSite]:
    """Serve ``site`` on a free port of 127.0.0.1, addressed as ``http://localhost:PORT``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.origin = f"http://localhost:{server.server_address[1]}"
    # Polled every 50 ms for shutdown(), not the default 500: each test stops one.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
