"""What a browser would find on the app's own pages: links, and forms with their fields.

The fuzzer (tests/support/fuzz.py) starts from a crawl, so it learns real path values
(slugs, booking tokens, dashboard ids), query parameters and every form's fields, options
and CSRF token from the pages themselves: a new page or form is found without anyone
listing it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from httpx2 import Response
from starlette.testclient import TestClient

# Tags whose attribute is a URL worth visiting or harvesting for values.
LINK_ATTRIBUTES = {"a": "href", "iframe": "src", "img": "src", "link": "href", "script": "src"}


@dataclass
class Field:
    """One named control of a form; radio buttons and named submit buttons of the same name
    are one field with their values as ``options``. ``value`` is what the form sends as the
    page shows it ("" for a checkbox not ticked: nothing is sent)."""

    name: str
    kind: str  # an input's type, or "select", "textarea", "button"
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str  # path and query, resolved against the page
    method: str  # GET or POST
    multipart: bool
    fields: list[Field] = field(default_factory=list)
    visitor: bool = False  # found by a client that is not logged in (the login form)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


class _PageParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None
        self._option: str | None = None
        self._option_text = ""
        self._option_selected: bool | None = None  # None: not inside an option

    def _url(self, value: str | None) -> str | None:
        if not value:
            return None
        return urljoin(self.page_url, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in LINK_ATTRIBUTES and (url := self._url(a.get(LINK_ATTRIBUTES[tag]))):
            self.links.append(url)
        if tag == "form":
            self._form = Form(
                action=self._url(a.get("action")) or self.page_url,
                method=(a.get("method") or "get").upper(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._end_option()  # an option's end tag is optional
            # Without a value attribute, an option's value is its text (handle_data).
            self._option = a.get("value") if "value" in a else None
            self._option_text = ""
            self._option_selected = "selected" in a
        elif self._form is not None and a.get("name"):
            self._control(tag, a["name"], a)

    def _control(self, tag: str, name: str, a: dict[str, str]) -> None:
        assert self._form is not None
        value = a.get("value", "")
        if tag == "input" or (tag == "button" and a.get("type", "submit") == "submit"):
            kind = "button" if tag == "button" else a.get("type", "text").lower()
            if kind in ("radio", "button", "submit"):
                # One field per name; the checked radio button is its value.
                field = self._form.field(name)
                if field is None:
                    field = Field(name, kind, "", [])
                    self._form.fields.append(field)
                field.options.append(value)
                if "checked" in a:
                    field.value = value
                return
            if kind == "checkbox":
                # Ticked: sent with its value; not ticked: not sent (""). Both are options.
                ticked = value or "on"
                value = ticked if "checked" in a else ""
                self._form.fields.append(Field(name, kind, value, [ticked, ""]))
                return
            self._form.fields.append(Field(name, kind, value))
        elif tag == "select":
            self._select = Field(name, "select")
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(name, "textarea")
            self._form.fields.append(self._textarea)

    def _end_option(self) -> None:
        if self._select is not None and self._option_selected is not None:
            value = self._option if self._option is not None else self._option_text.strip()
            self._select.options.append(value)
            if self._option_selected:
                self._select.value = value
        self._option_selected = None

    def handle_endtag(self, tag: str) -> None:
        if tag in ("option", "select"):
            self._end_option()
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._option_selected is not None:
            self._option_text += data


def local(url: str) -> str | None:
    """``url`` as a path and query when it is on the app's own origin, else None."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Site:
    """What the crawl found: pages fetched, their links and forms, every query value seen."""

    pages: list[str] = field(default_factory=list)
    links: set[str] = field(default_factory=set)
    forms: list[Form] = field(default_factory=list)
    query_values: dict[str, set[str]] = field(default_factory=dict)
    # Every response of the crawl (url, status), for the caller's checks.
    responses: list[tuple[str, int]] = field(default_factory=list)


def crawl(client: TestClient, starts: list[str], limit: int) -> Site:
    """Fetch ``starts`` and what they link to, breadth first, up to ``limit`` pages."""
    site = Site()
    queue: deque[str] = deque(starts)
    seen: set[str] = set(starts)
    form_keys: set[tuple[str, str, tuple[str, ...]]] = set()
    while queue and len(site.pages) < limit:
        url = queue.popleft()
        response: Response = client.get(url)
        site.responses.append((url, response.status_code))
        site.pages.append(url)
        found: list[str] = []
        if response.is_redirect:
            found.append(urljoin(url, response.headers["location"]))
        elif "text/html" in response.headers.get("content-type", ""):
            parser = _PageParser(url)
            parser.feed(response.text)
            found += parser.links
            for form in parser.forms:
                path = local(form.action)
                if path is None:
                    continue
                form.action = path
                key = (form.method, urlsplit(path).path, tuple(f.name for f in form.fields))
                if key not in form_keys:  # one form per action and set of fields
                    form_keys.add(key)
                    site.forms.append(form)
                if form.method == "GET":
                    found.append(path)
        for link in found:
            path = local(link)
            if path is None:
                continue
            site.links.add(path)
            for key, value in parse_qsl(urlsplit(path).query, keep_blank_values=True):
                site.query_values.setdefault(key, set()).add(value)
            if path not in seen and not path.startswith("/static/"):
                seen.add(path)
                queue.append(path)
    return site
