"""Lighthouse on every client page: ``python -m bench.lighthouse`` (or ``make lighthouse``).

Starts ``minis demo`` on 127.0.0.1 with a scratch database, walks the client's path
over HTTP to reach each page (a fresh hold for each checkout, so none expires while
Lighthouse runs), runs Lighthouse (``bench/lighthouse``, installed with ``npm ci``) in
Debian's Chromium on each page as a phone and as a desktop, prints the four scores per
page and form factor, and names every audit that cost a point. Slow (about 20 s a run),
so not part of ``make test``; bench/README.md, section 12, has the figures.

    python -m bench.lighthouse                 # every page, mobile and desktop
    python -m bench.lighthouse --only checkout --form-factor mobile --keep /tmp/lh
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from .report import heading, table

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent / "lighthouse"
LIGHTHOUSE = PACKAGE / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
FORM_FACTORS = ("mobile", "desktop")
# What an error page loses for answering with its error status: not the page's fault.
ERROR_PAGE_AUDITS = {"http-status-code", "errors-in-console"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Walk:
    """The client's path over HTTP against a running demo: each method returns a page's URL."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._used: set[str] = set()
        self._clients = 0

    def get(self, path: str) -> str:
        with _opener.open(self.base + path, timeout=30) as response:
            return str(response.read().decode())

    def _post(self, path: str, fields: dict[str, str]) -> str:
        """POST a form; returns the redirect's location (the app answers a good form with 303)."""
        body = urllib.parse.urlencode(fields).encode()
        try:
            _opener.open(self.base + path, data=body, timeout=30)
        except urllib.error.HTTPError as redirect:
            if redirect.code in (302, 303) and redirect.headers.get("location"):
                return str(redirect.headers["location"])
            raise
        raise RuntimeError(f"POST {path}: no redirect")

    def details_form(self, mini: str, query: str = "") -> str:
        """A details form of the next unused open slot (``query`` like ``?lang=de``)."""
        page = f"/demo/{mini}{query}"
        html = self.get(page)
        days = [unescape(d) for d in re.findall(r'href="\?(day=[^"#]*)', html)]
        for day in ["", *days]:
            if day:
                html = self.get(page + ("&" if "?" in page else "?") + day)
            for href in re.findall(r'href="([^"]*/book\?slot=[^"]*)"', html):
                path = unescape(href)
                if path not in self._used:
                    self._used.add(path)
                    return path
        raise RuntimeError(f"no open slot left on {mini}")

    def checkout(self, mini: str, query: str = "") -> str:
        """Details submitted for a fresh slot: the checkout page's path (the hold is live)."""
        self._clients += 1
        fields = {
            "name": "Ana Lee",
            "email": f"ana{self._clients}@example.com",
            "phone": "+13035550100",
        }
        if mini == "family-minis":  # its required question and party size
            fields |= {"party_size": "3", "q1": "Ana (5), Ben (8)", "q2": "Whole family"}
            fields |= {"q3": "yes"}
        return self._post(self.details_form(mini, query), fields)

    def booked(self, query: str = "") -> str:
        """A fall-minis booking paid with the demo card: its confirmation page's path."""
        quote = self.checkout("fall-minis", query)
        location = self._post(quote, {"method": "demo", "card": "4242424242424242"})
        return location.split("?")[0]


@dataclass(frozen=True)
class Page:
    label: str
    path: Callable[[Walk], str]
    # An error page answers with its error status; Lighthouse refuses those unless told.
    error_status: bool = False


PAGES = [
    Page("studio /demo", lambda w: "/demo"),
    Page("mini session, a day chosen", lambda w: "/demo/fall-minis?day=4#times"),
    Page("details form", lambda w: w.details_form("fall-minis")),
    Page("checkout fall-minis (deposit)", lambda w: w.checkout("fall-minis")),
    Page("checkout family-minis (contract)", lambda w: w.checkout("family-minis")),
    Page("confirmation", lambda w: w.booked()),
    Page("reschedule", lambda w: w.booked() + "/reschedule"),
    Page("cancel", lambda w: w.booked() + "/cancel"),
    Page("waitlist sunflower-minis", lambda w: "/demo/sunflower-minis/waitlist"),
    Page("drop countdown spring-minis", lambda w: "/demo/spring-minis"),
    Page("not found (404)", lambda w: "/demo/no-such-minis", error_status=True),
    Page("embed iframe /embed/demo/fall-minis", lambda w: "/embed/demo/fall-minis"),
    Page("de: checkout fall-minis", lambda w: w.checkout("fall-minis", "?lang=de")),
    Page("de: checkout family-minis", lambda w: w.checkout("family-minis", "?lang=de")),
    Page("de: confirmation", lambda w: w.booked("?lang=de")),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server(workdir: Path) -> Iterator[str]:
    """``minis demo`` on a free local port with a scratch database; stopped on exit."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {"MINIS_BASE_URL": base, "PYTHONPATH": str(ROOT)}
    env.pop("MINIS_DATABASE_URL", None)
    log = (workdir / "demo.log").open("w")
    command = [sys.executable, "-c", "from widget_server.cli import main; main()", "demo"]
    command += ["--port", str(port), "--db", str(workdir / "demo.db")]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/demo", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"minis demo did not start; see {workdir / 'demo.log'}"
                    ) from None
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def lighthouse(url: str, form_factor: str, error_status: bool = False) -> dict[str, object]:
    """One Lighthouse run; its JSON report (the lhr)."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"Lighthouse is not installed: cd {PACKAGE} && npm ci")
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    if error_status:
        command.append("--ignore-status-code")
    env = os.environ | {"CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}: {done.stderr[-2000:]}")
    report: dict[str, object] = json.loads(done.stdout)
    return report


def scores(report: dict[str, object]) -> list[int]:
    categories: dict[str, dict[str, object]] = report["categories"]  # type: ignore[assignment]
    return [round(float(categories[c]["score"] or 0) * 100) for c in CATEGORIES]  # type: ignore[arg-type]


def lost_points(report: dict[str, object]) -> list[str]:
    """The audits that cost a category points: weighted, and scored under 1."""
    categories: dict[str, dict[str, object]] = report["categories"]  # type: ignore[assignment]
    audits: dict[str, dict[str, object]] = report["audits"]  # type: ignore[assignment]
    lost = []
    for name in CATEGORIES:
        for ref in categories[name]["auditRefs"]:  # type: ignore[attr-defined]
            audit = audits[ref["id"]]
            score = audit.get("score")
            if ref["weight"] and score is not None and float(score) < 1:  # type: ignore[arg-type]
                lost.append(f"{name}: {ref['id']} ({audit.get('displayValue') or score})")
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__)
    parser.add_argument("--only", help="pages whose label contains this text")
    parser.add_argument("--form-factor", choices=FORM_FACTORS, help="one form factor only")
    parser.add_argument("--keep", type=Path, help="write each JSON report into this folder")
    args = parser.parse_args()
    pages = [p for p in PAGES if not args.only or args.only in p.label]
    factors = [args.form_factor] if args.form_factor else list(FORM_FACTORS)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    # Stopped with SIGTERM: still stop the demo server (the ``finally`` of demo_server).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows: list[list[object]] = []
    notes: list[str] = []
    known: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="minis-lighthouse-") as tmp,
        demo_server(Path(tmp)) as base,
    ):
        walk = Walk(base)
        for page in pages:
            for factor in factors:
                path = page.path(walk)  # fresh for each run: a checkout's hold stays live
                report = lighthouse(base + path, factor, page.error_status)
                rows.append([page.label, factor, *scores(report)])
                print(f"  {page.label} ({factor}): {scores(report)}", file=sys.stderr)
                for lost in lost_points(report):
                    # A 404 fails these by definition (bench/README.md, section 12).
                    expected = page.error_status and lost.split(" ")[1] in ERROR_PAGE_AUDITS
                    line = f"{page.label} ({factor}) {lost}"
                    (known if expected else notes).append(line)
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    name = re.sub(r"[^a-z0-9]+", "-", f"{page.label} {factor}".lower())
                    (args.keep / f"{name.strip('-')}.json").write_text(json.dumps(report))
    heading("Lighthouse (" + ", ".join(CATEGORIES) + ")")
    table(["page", "form factor", "perf", "a11y", "best pr.", "SEO"], rows)
    for line in known:
        print("  lost, as any error page does: " + line)
    for line in notes:
        print("  lost: " + line)
    if notes:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
