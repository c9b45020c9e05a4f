"""Seeded hostile requests over every route the app declares, and the run that sends them.

Routes come from ``app.routes``, so a new route is fuzzed without anyone listing it. The
values worth sending come from a crawl of the app's own pages (tests/support/crawl.py):
real slugs, booking tokens and dashboard ids from the links, and every form with its
fields, options and CSRF token. Requests mix those real values with hostile ones
(tests/support/hostile.py) so they get past the first check and reach the queries;
Stripe events come from tests/support/stripe_events.py. tests/support/fuzz_session.py
sets a run up; tests/test_fuzz.py and ``make fuzz`` (bench/fuzz.py) use it.

The requests follow from the seed (``MINIS_FUZZ_SEED`` replays a run); only the values
the app makes at random (booking and CSRF tokens, Stripe's ids) differ from run to run.
Any response of 500 or more is a failure, reported with the seed, the request and the
error the app logged, one line per kind of failure.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.testclient import TestClient

from widget_server.booking.details import PREFILL_KEYS, UTM_KEYS

from . import stripe_events
from .crawl import Field, Form, Site
from .hostile import ODD_QUERIES, nasty, number, segment

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
# Query parameters the app reads that no page links with (the crawl adds what it sees).
QUERY_KEYS = [*PREFILL_KEYS, *UTM_KEYS, "slot", "day", "parent", "page", "theme", "color"]
QUERY_KEYS += ["tab", "session_id", "next", "status", "done", "payment", "mini", "warn"]
# Dashboard forms that end the session: fuzzed with a wrong CSRF token only, so the run
# stays logged in (tests/test_admin_auth.py covers them with the right one).
SESSION_ENDING = ("/admin/logout",)


def route_key(route: BaseRoute) -> str:
    """A route's name in the coverage check: its path, or its class for a path-less one."""
    return str(getattr(route, "path", type(route).__name__))


@dataclass
class FuzzRequest:
    method: str
    url: str
    kind: str  # route, form, webhook, link, raw: which generator made it
    data: dict[str, list[str]] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    visitor: bool = False  # sent by the client that is not logged in

    def describe(self) -> str:
        who = ", not logged in" if self.visitor else ""
        parts = [f"{self.method} {self.url[:300]!r} ({self.kind}{who})"]
        if self.data:
            parts.append(f"form={json.dumps(self.data)[:600]}")
        if self.files:
            parts.append(f"files={list(self.files)}")
        if self.content is not None:
            parts.append(f"body={self.content[:600]!r}")
        if self.headers:
            parts.append(f"headers={self.headers}")
        return " ".join(parts)


@dataclass
class Known:
    """Real values to mix in: path parameters by name (from the crawl's links, matched against
    the routes), query values by key, the dashboard's CSRF token, Stripe's ids."""

    path_values: dict[str, list[str]]
    query_values: dict[str, list[str]]
    csrf: str | None
    stripe_sessions: list[dict[str, Any]]


def known_values(
    routes: list[BaseRoute], site: Site, stripe_sessions: list[dict[str, Any]]
) -> Known:
    path_values: dict[str, set[str]] = {}
    for link in site.links:
        path = urlsplit(link).path
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        for route in routes:
            match, child = route.matches(scope)
            if match != Match.NONE:
                for name, value in child.get("path_params", {}).items():
                    path_values.setdefault(name, set()).add(str(value))
                break
    csrf = next(
        (
            f.value
            for form in site.forms
            if form.action.startswith("/admin/") and (f := form.field("csrf")) is not None
        ),
        None,
    )
    return Known(
        path_values={k: sorted(v) for k, v in path_values.items()},
        query_values={k: sorted(v) for k, v in site.query_values.items()},
        csrf=csrf,
        stripe_sessions=stripe_sessions,
    )


@dataclass
class Generator:
    """Makes the requests of one run: routes and forms taken in turn (so a run of a few hundred
    reaches each of them), the rest at random."""

    rng: random.Random
    routes: list[BaseRoute]
    site: Site
    known: Known
    covered: set[str] = field(default_factory=set)
    _route_turns: Iterator[BaseRoute] = field(init=False)
    _form_turns: Iterator[Form] = field(init=False)

    def __post_init__(self) -> None:
        self._route_turns = self._turns(self.routes)
        self._form_turns = self._turns(self.site.forms)

    def _turns(self, items: list[Any]) -> Iterator[Any]:
        order = list(items)
        while order:
            self.rng.shuffle(order)
            yield from order

    def next(self) -> FuzzRequest:
        roll = self.rng.random()
        if roll < 0.35:
            return self.route_request(next(self._route_turns))
        if roll < 0.7 and self.site.forms:
            return self.form_request(next(self._form_turns))
        if roll < 0.85:
            return self.webhook_request()
        if roll < 0.95:
            return self.link_request()
        return self.raw_request()

    # -- values ----------------------------------------------------------------------------

    def _value(self, choices: list[str] | None, hostile: Callable[[random.Random], str]) -> str:
        if choices and self.rng.random() < 0.6:
            value = self.rng.choice(choices)
            roll = self.rng.random()
            if roll < 0.1:
                return value + hostile(self.rng)
            if roll < 0.15:
                return value[: self.rng.randint(0, len(value))]
            return value
        return hostile(self.rng)

    def query(self) -> str:
        keys = [*self.known.query_values, *QUERY_KEYS]
        parts = []
        for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3, 5])):
            key = self.rng.choice(keys) if self.rng.random() < 0.9 else nasty(self.rng)
            hostile = number if key in ("slot", "day") and self.rng.random() < 0.5 else nasty
            value = self._value(self.known.query_values.get(key), hostile)
            parts.append(f"{quote(key, safe='')}={quote(value, safe='')}")
        if self.rng.random() < 0.1:
            parts.append(self.rng.choice(ODD_QUERIES))
        return "&".join(parts)

    def _with_query(self, path: str, query: str) -> str:
        return f"{path}?{query}" if query else path

    # -- generators ------------------------------------------------------------------------

    def route_request(self, route: BaseRoute) -> FuzzRequest:
        """Any route, filled with real or hostile path values, with any of its methods."""
        self.covered.add(route_key(route))
        if not isinstance(route, Route):
            # A Mount (static files) or a route of our own kind: random tails under it.
            prefix = route.path if isinstance(route, Mount) else ""
            parts = [nasty(self.rng) for _ in range(self.rng.randint(1, 3))]
            tail = "/".join(segment(self.rng, part) for part in parts)
            return FuzzRequest(self.rng.choice(["GET", "POST"]), f"{prefix}/{tail}", "route")

        def fill(match: re.Match[str]) -> str:
            name, convertor = match.group(1), match.group(2) or "str"
            numeric = convertor in ("int", "id")
            hostile = number if numeric and self.rng.random() < 0.8 else nasty
            return segment(self.rng, self._value(self.known.path_values.get(name), hostile))

        path = re.sub(r"\{(\w+)(?::(\w+))?\}", fill, route.path)
        methods = sorted((route.methods or {"GET"}) - {"HEAD"})
        method = self.rng.choice(methods) if self.rng.random() < 0.9 else self.rng.choice(METHODS)
        request = FuzzRequest(method, self._with_query(path, self.query()), "route")
        if method == "POST":
            admin = path.startswith("/admin") and not path.startswith(SESSION_ENDING)
            self._random_body(request, admin=admin)
        return request

    def _random_body(self, request: FuzzRequest, *, admin: bool) -> None:
        """A form of fields seen anywhere on the site, or a raw body of the form's types."""
        if self.rng.random() < 0.15:
            request.content = self._raw_form_body()
            request.headers["content-type"] = self.rng.choice(
                [
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=xyz",
                    "multipart/form-data",
                    "application/json",
                    "text/plain",
                ]
            )
            return
        names = sorted({f.name for form in self.site.forms for f in form.fields})
        data: dict[str, list[str]] = {}
        for _ in range(self.rng.randint(0, 6)):
            name = self.rng.choice(names) if names and self.rng.random() < 0.85 else nasty(self.rng)
            data.setdefault(name, []).append(nasty(self.rng))
        if admin and self.known.csrf and self.rng.random() < 0.8:
            data["csrf"] = [self.known.csrf]
        request.data = data

    def _raw_form_body(self) -> bytes:
        return self.rng.choice(
            [
                b"",
                b"%ff%fe=%00&&==&a",
                b"name=%00&name=%ed%a0%80",
                b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n\x00\r\n--xyz',
                b"--xyz--",
                b'{"name": "\\u0000"}',
                bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 300))),
            ]
        )

    def form_request(self, form: Form) -> FuzzRequest:
        """A form found on a page, sent as the page shows it with one field hostile (so the
        rest passes the checks and the bad value reaches as far as it can), or filled like
        a careless person would, with hostile values mixed in."""
        data: dict[str, list[str]] = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        ending = form.action.startswith(SESSION_ENDING)
        named = [f for f in form.fields if f.name != "csrf" and f.kind != "file"]
        one_bad = self.rng.choice(named) if named and self.rng.random() < 0.5 else None
        for f in form.fields:
            if f.kind == "file":
                if self.rng.random() < 0.5:
                    files[f.name] = self._upload()
                continue
            if f.name == "csrf":
                keep = self.rng.random() < 0.95 and not ending
                # The session's current token (it changes if the run had to log in again);
                # the login form keeps its own.
                token = self.known.csrf if form.action.startswith("/admin/") else f.value
                data["csrf"] = [(token or f.value) if keep else nasty(self.rng)]
                continue
            if one_bad is not None:
                value = nasty(self.rng) if f is one_bad else self._as_shown(f)
            else:
                roll = self.rng.random()
                if roll < 0.07:
                    continue  # left out
                value = self._plausible(f) if roll < 0.65 else nasty(self.rng)
            if value == "" and f.kind == "checkbox":
                continue  # not ticked: a browser sends nothing
            data.setdefault(f.name, []).append(value)
            if one_bad is None and self.rng.random() < 0.03:
                data[f.name].append(nasty(self.rng))
        if one_bad is None and self.rng.random() < 0.1:
            data.setdefault(nasty(self.rng), []).append(nasty(self.rng))
        url = form.action
        if self.rng.random() < 0.2:
            url = self._with_query(urlsplit(url).path, self.query())
        if form.method == "GET":
            query = "&".join(
                f"{quote(k, safe='')}={quote(v, safe='')}" for k, vs in data.items() for v in vs
            )
            url = self._with_query(urlsplit(url).path, query)
            return FuzzRequest("GET", url, "form", visitor=form.visitor)
        if form.multipart and not files:
            files["_"] = ("", b"", "application/octet-stream")  # still multipart
        return FuzzRequest(
            "POST", url, "form", data=data, files=files or None, visitor=form.visitor
        )

    def _as_shown(self, f: Field) -> str:
        """What the page would send, or a plausible value where it shows none."""
        if f.value or f.kind == "checkbox":
            return f.value
        return self._plausible(f)

    def _plausible(self, f: Field) -> str:
        if f.options:
            return self.rng.choice(f.options)
        if self.rng.random() < 0.5 and f.value:
            return f.value
        return {
            "email": "ada@example.com",
            "tel": "212 555 0143",
            "number": str(self.rng.randint(-5, 500)),
            "date": f"2026-12-{self.rng.randint(1, 31):02d}",
            "time": f"{self.rng.randint(0, 23):02d}:{self.rng.choice(['00', '30', '59'])}",
            "color": "#336699",
            "url": "https://example.com/page",
            "password": "correct horse battery",
            "checkbox": f.value or "on",
        }.get(f.kind, "Fuzz text")

    def _upload(self) -> tuple[str, bytes, str]:
        body = self.rng.choice(
            [
                b"\x89PNG\r\n\x1a\n" + bytes(64),
                b"<svg onload=alert(1)>",
                b"",
                bytes(self.rng.randrange(256) for _ in range(200)),
                b"\xff\xd8\xff" + b"x" * 600_000,
            ]
        )
        return (nasty(self.rng)[:50] or "x.png", body, self.rng.choice(["image/png", "text/html"]))

    def link_request(self) -> FuzzRequest:
        """A link the crawl found, with its query mutated."""
        link = self.rng.choice(sorted(self.site.links))
        path = urlsplit(link).path
        return FuzzRequest("GET", self._with_query(path, self.query()), "link")

    def raw_request(self) -> FuzzRequest:
        """A path of random segments, oddly encoded."""
        segments = [segment(self.rng, nasty(self.rng)) for _ in range(self.rng.randint(1, 4))]
        if self.rng.random() < 0.5 and self.site.links:
            base = urlsplit(self.rng.choice(sorted(self.site.links))).path.rstrip("/")
            segments = [base.lstrip("/"), *segments[:1]]
        method = self.rng.choice(["GET", "GET", "POST"])
        return FuzzRequest(method, "/" + "/".join(segments), "raw")

    def webhook_request(self) -> FuzzRequest:
        """A Stripe event (tests/support/stripe_events.py) about the stand-in's sessions."""
        body, headers = stripe_events.delivery(self.rng, self.known.stripe_sessions)
        return FuzzRequest("POST", "/webhooks/stripe", "webhook", content=body, headers=headers)


@dataclass
class Outcome:
    """What a run sent and got back."""

    seed: int
    statuses: Counter[int] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    # (generator, status): how each kind of request was answered.
    by_kind_status: Counter[tuple[str, int]] = field(default_factory=Counter)
    # The first request of each kind of failure (its logged error), and how many had it.
    failures: dict[str, str] = field(default_factory=dict)
    failure_counts: Counter[str] = field(default_factory=Counter)
    not_sent: int = 0
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def report(self) -> str:
        lines = [
            f"fuzz seed {self.seed} (set MINIS_FUZZ_SEED={self.seed} to replay): "
            f"{self.requests} requests in {self.seconds:.1f} s, statuses "
            f"{dict(sorted(self.statuses.items()))}, {self.server_errors} of 5xx",
            "by generator and status: "
            + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(self.by_kind_status.items())),
        ]
        for key, first in list(self.failures.items())[:20]:
            lines.append(f"{self.failure_counts[key]}x {key}\n    first: {first}")
        return "\n".join(lines)


class _ErrorLog(logging.Handler):
    """The errors the app logs while one request runs (its traceback's last line)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f": {type(exc).__name__}: {str(exc)[:300]}"
        self.messages.append(text)


@contextmanager
def captured_errors() -> Iterator[_ErrorLog]:
    handler = _ErrorLog()
    logger = logging.getLogger()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class Visitor:
    """Someone not logged in, on the photographer's client: a second TestClient would run
    the app on another event loop than its database pool's, so the visitor's cookies are
    swapped in for their requests instead."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cookies = httpx2.Cookies()

    @contextmanager
    def turn(self) -> Iterator[TestClient]:
        saved = self.client.cookies
        self.client.cookies = self.cookies
        try:
            yield self.client
        finally:
            self.cookies = self.client.cookies
            self.client.cookies = saved


def send(client: TestClient, request: FuzzRequest) -> httpx2.Response:
    return client.request(
        request.method,
        request.url,
        data=request.data,
        files=request.files,
        content=request.content,
        headers=request.headers,
    )


def run(
    client: TestClient,
    generator: Generator,
    count: int,
    seed: int,
    *,
    visitor: Visitor | None = None,
    check_session: Callable[[], None] | None = None,
) -> Outcome:
    """Send ``count`` requests, those of forms only a visitor sees (the login form) through
    ``visitor``; every 5xx is recorded with the request that got it."""
    outcome = Outcome(seed)
    started = time.perf_counter()
    with captured_errors() as errors:
        # ``count`` requests sent: a few the HTTP client refuses to send are made up for.
        for number in itertools.count():
            if outcome.requests >= count or outcome.not_sent > count:
                break
            request = generator.next()
            errors.messages.clear()
            try:
                if request.visitor and visitor is not None:
                    with visitor.turn() as as_visitor:
                        response = send(as_visitor, request)
                else:
                    response = send(client, request)
            except (httpx2.InvalidURL, UnicodeEncodeError):
                outcome.not_sent += 1  # the HTTP client refused to send it at all
                continue
            outcome.statuses[response.status_code] += 1
            outcome.by_kind[request.kind] += 1
            outcome.by_kind_status[request.kind, response.status_code] += 1
            if response.status_code >= 500:
                logged = "; ".join(errors.messages) or response.text[:200]
                # One line per kind of failure: the status, the generator, the exception.
                error = re.sub(r" on \S+ .*?: ", ": ", logged.split("\n")[0])[:160]
                key = f"{response.status_code} ({request.kind}) {error}"
                outcome.failure_counts[key] += 1
                outcome.failures.setdefault(key, f"#{number} {request.describe()}")
            if check_session is not None and number % 50 == 49:
                check_session()
    outcome.seconds = time.perf_counter() - started
    return outcome
